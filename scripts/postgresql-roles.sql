-- Production roles (README, "Production: PostgreSQL roles"). Once, as a superuser:
--   psql -v db=ltci -v owner_password=… -v app_password=… -f scripts/postgresql-roles.sql
-- ltci_owner owns the database and its tables and runs `ltci migrate`; ltci_app serves the platform
-- and owns nothing. After every migrate, ltci_owner runs scripts/postgresql-grants.sql.
\set ON_ERROR_STOP on
CREATE ROLE ltci_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE ltci_app LOGIN PASSWORD :'app_password';
CREATE DATABASE :"db" OWNER ltci_owner;
\connect :"db"
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO ltci_app;
-- Tables and sequences later migrations create get the application's grants at once.
ALTER DEFAULT PRIVILEGES FOR ROLE ltci_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ltci_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ltci_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ltci_app;
