-- The connector's role and the publication, as in the walkthrough. On RDS the
-- walkthrough grants rds_replication; on a plain PostgreSQL the role gets the
-- REPLICATION attribute instead. Nothing else: no superuser, no write access.
-- psql variable :password holds the connector's password.
CREATE USER openflow_user WITH PASSWORD :'password';
ALTER ROLE openflow_user WITH REPLICATION;

GRANT CONNECT ON DATABASE appdb TO openflow_user;
GRANT USAGE   ON SCHEMA  app    TO openflow_user;
GRANT SELECT  ON ALL TABLES IN SCHEMA app TO openflow_user;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO openflow_user;

CREATE PUBLICATION openflow_pub
  FOR TABLE app.customers, app.products, app.orders
  WITH (publish_via_partition_root = true);
