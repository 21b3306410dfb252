WITH r0 AS (SELECT *, cost AS __m FROM cost_rows WHERE ts >= ? AND ts < ?),
r1 AS (SELECT p.* EXCLUDE (__m), a.name AS "tag:team", CASE WHEN a.branch IS NULL THEN p.__m ELSE trunc(p.__m * a.hi * 0.000001, 10) - trunc(p.__m * a.lo * 0.000001, 10) END AS __m FROM r0 AS p LEFT JOIN (VALUES (?, ?, ?), (?, ?, ?)) AS lk1_0(lk1_0_key, lk1_0_branch, lk1_0_name) ON lk1_0_key = p.resource LEFT JOIN (VALUES (?, ?, ?)) AS lk1_1(lk1_1_key, lk1_1_branch, lk1_1_name) ON lk1_1_key = p.resource LEFT JOIN (VALUES (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?), (?, ?, ?, ?)) AS a(branch, name, lo, hi) ON a.branch = CASE WHEN lk1_0_branch IS NOT NULL THEN lk1_0_branch WHEN coalesce((service) LIKE ?, FALSE) AND ts >= ? THEN 1 WHEN lk1_1_branch IS NOT NULL THEN lk1_1_branch END) SELECT CAST(date_trunc('week', ts) AS DATE) AS "date", "tag:team" AS "g0", token_type AS "g1", SUM(__m) AS "value" FROM r1 WHERE (coalesce((subcategory) = ?, FALSE) AND (NOT coalesce(regexp_matches((service), ?, 'i'), FALSE))) GROUP BY ALL
-- params
datetime.datetime(2026, 1, 1, 0, 0)
datetime.datetime(2026, 4, 1, 0, 0)
'ana@acme.example'
0
'Platform'
'bo@acme.example'
0
'Platform'
'ci-runner@acme.example'
2
None
0
'Platform'
0
1000000
1
'Research'
0
1000000
2
'Platform'
0
600000
2
'Research'
600000
1000000
'claude%'
datetime.datetime(2026, 1, 1, 0, 0)
'Usage-based'
'gpt'
