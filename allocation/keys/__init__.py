"""Keys: a measured or value key computed (`compute`), decided under four eyes (`decisions`),
its robustness (`robustness`, pure) and two keys compared (`comparison`, pure); the key pages
(`views`, `review_views`), printing a document to PDF (`printing`, shared with the yearly evaluation)
and its child process (`memo_print`, run by its path).

May import: `cases`, `allocation.models` and the base (`calculation`, `amounts`, `selectors`).
Its pages may import any service of `allocation`, never another page module."""
