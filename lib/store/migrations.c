/*
 * migrations.c - the versioned database schema.
 *
 * Append a new entry for every change; never edit one that has shipped.
 * DDL is kept to what SQLite and PostgreSQL both accept (BIGINT, TEXT,
 * BLOB is mapped by the PostgreSQL back end to BYTEA). Times are Unix
 * seconds (UTC).
 */
#include "store/store_int.h"

const struct store_migration store_migrations[] = {
    {1, "initial schema: meta, authorities, certificates, accounts, audit log",
     "CREATE TABLE schema_version ("
     "  version BIGINT NOT NULL PRIMARY KEY,"
     "  description TEXT NOT NULL);"

     "CREATE TABLE meta ("
     "  key TEXT NOT NULL PRIMARY KEY,"
     "  value TEXT NOT NULL);"

     /* Issued certificates, the CA's own included. serial is lower-case hex. */
     "CREATE TABLE certificates ("
     "  serial TEXT NOT NULL PRIMARY KEY,"
     "  issuer TEXT NOT NULL,"
     "  profile TEXT NOT NULL,"
     "  subject TEXT NOT NULL,"
     "  email TEXT,"
     "  not_before BIGINT NOT NULL,"
     "  not_after BIGINT NOT NULL,"
     "  status TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),"
     "  revoked_at BIGINT,"
     "  revocation_reason BIGINT,"
     "  invalidity_date BIGINT,"
     "  sha256 TEXT NOT NULL UNIQUE,"
     "  der BLOB NOT NULL,"
     "  created_at BIGINT NOT NULL);"
     "CREATE INDEX certificates_email ON certificates (email);"
     "CREATE INDEX certificates_issuer_status ON certificates (issuer, status);"

     /* The CA's own keys and certificates: root, issuing, ocsp, tsa, audit. */
     "CREATE TABLE authorities ("
     "  name TEXT NOT NULL PRIMARY KEY,"
     "  key_label TEXT NOT NULL,"
     "  key_type TEXT NOT NULL,"
     "  cert_serial TEXT REFERENCES certificates (serial),"
     "  created_at BIGINT NOT NULL);"

     "CREATE TABLE accounts ("
     "  id BIGINT NOT NULL PRIMARY KEY,"
     "  email TEXT NOT NULL UNIQUE,"
     "  name TEXT NOT NULL,"
     "  role TEXT NOT NULL CHECK (role IN ('admin', 'verifier', 'auditor', 'applicant')),"
     "  agency_id BIGINT,"
     "  password_hash TEXT,"
     "  created_at BIGINT NOT NULL);"

     "CREATE TABLE audit_log ("
     "  seq BIGINT NOT NULL PRIMARY KEY,"
     "  ts BIGINT NOT NULL,"
     "  actor TEXT NOT NULL,"
     "  event TEXT NOT NULL,"
     "  object TEXT NOT NULL,"
     "  details TEXT NOT NULL,"
     "  prev_hash BLOB NOT NULL,"
     "  hash BLOB NOT NULL);"

     "CREATE TABLE audit_checkpoint ("
     "  seq BIGINT NOT NULL PRIMARY KEY,"
     "  hash BLOB NOT NULL,"
     "  ts BIGINT NOT NULL,"
     "  signature BLOB NOT NULL);"},
};

const int store_migrations_count = (int)(sizeof(store_migrations) / sizeof(store_migrations[0]));
