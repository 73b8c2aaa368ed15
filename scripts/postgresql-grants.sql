-- What the application role may do (README, "Production: PostgreSQL roles"). As ltci_owner, after
-- every `ltci migrate`: psql -d ltci -U ltci_owner -f scripts/postgresql-grants.sql
-- TRUNCATE is granted on no table; the audit trail is read and appended to only (its triggers
-- refuse the rest to every role, and only its owner could disable them).
\set ON_ERROR_STOP on
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ltci_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ltci_app;
REVOKE UPDATE, DELETE ON audit_auditevent, audit_link FROM ltci_app;
REVOKE DELETE ON audit_chainhead FROM ltci_app;
