"""DynamoDB storage: key templates, the table layout, PynamoDB entities, access patterns."""
