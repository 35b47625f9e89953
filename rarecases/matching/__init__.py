"""Phenotype and genotype matching for the Matchmaker Exchange (MME) and the doctors' "find similar patients".

Pure code: no ORM. `ontology` wraps the HPO bundled with hpo3 (ancestors, information content, names in
English and Chinese), `genes` normalises gene identifiers, `scoring` scores one query against one profile
(the reference implementation, plain Python sets), `index` scores a query against many profiles at once
(the same formulas on sparse matrices; `tests/rarecases/test_matching.py` checks both agree).
"""
