"""The decision's effect goals against targets: which measures there are and which way is better
(`measures`, pure), the red/amber/green rule (`status`, pure), target sets decided by the steering
group with four eyes (`targets`), the monthly follow-up against target and baseline (`follow_up`),
its chart and workbook sheet (`charts`, `sheet`), its part of the yearly evaluation
(`evaluation_part`) and its pages (`views`, `urls`).

May import: the base of allocation, `keys` (the four-eyes decision rule) and `cases`. The
publications and the evaluation import this package; it imports neither.
"""
