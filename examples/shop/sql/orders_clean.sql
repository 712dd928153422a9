-- Normalise raw order events; `source` is the raw CSV read with the job's schema.
SELECT
  order_id,
  customer_id,
  lower(trim(status)) AS status,
  amount,
  ordered_at,
  updated_at,
  upper(op) AS op
FROM source
