"""The chunked batch on other engines (Spark)."""
