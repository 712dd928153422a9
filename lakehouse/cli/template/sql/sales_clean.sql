-- Normalise the raw sales rows; `source` is the day's CSV read with the job's schema.
SELECT
  sale_id,
  lower(trim(product)) AS product,
  quantity,
  amount,
  sold_at,
  updated_at,
  upper(op) AS op
FROM source
