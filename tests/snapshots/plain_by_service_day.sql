WITH r0 AS (SELECT * FROM cost_rows WHERE ts >= ? AND ts < ?) SELECT CAST(ts AS DATE) AS "date", service AS "g0", SUM(cost) AS "value" FROM r0 WHERE TRUE GROUP BY ALL
-- params
datetime.datetime(2026, 1, 1, 0, 0)
datetime.datetime(2026, 2, 1, 0, 0)
