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

    {2, "registration authority: agencies, subscribers, tokens, applications, uploads, keys",
     "CREATE TABLE agencies ("
     "  id BIGINT NOT NULL PRIMARY KEY,"
     "  name TEXT NOT NULL UNIQUE,"
     "  created_at BIGINT NOT NULL);"

     "CREATE TABLE agency_domains ("
     "  domain TEXT NOT NULL PRIMARY KEY,"
     "  agency_id BIGINT NOT NULL REFERENCES agencies (id));"

     /* The person behind an account: identity data and signing-lock state. */
     "CREATE TABLE subscribers ("
     "  account_id BIGINT NOT NULL PRIMARY KEY REFERENCES accounts (id),"
     "  nik TEXT NOT NULL UNIQUE,"
     "  unit TEXT NOT NULL,"
     "  position TEXT NOT NULL,"
     "  email_confirmed_at BIGINT,"
     "  failed_attempts BIGINT NOT NULL DEFAULT 0,"
     "  locked_until BIGINT NOT NULL DEFAULT 0,"
     "  hard_locked BIGINT NOT NULL DEFAULT 0,"
     "  totp_secret BLOB,"
     "  totp_last_step BIGINT NOT NULL DEFAULT 0,"
     "  created_at BIGINT NOT NULL);"

     /* Single-use tokens: only their SHA-256 is stored. */
     "CREATE TABLE tokens ("
     "  hash TEXT NOT NULL PRIMARY KEY,"
     "  purpose TEXT NOT NULL CHECK (purpose IN ('email_confirm', 'passphrase', 'email_otp')),"
     "  account_id BIGINT NOT NULL REFERENCES accounts (id),"
     "  application_id BIGINT,"
     "  expires_at BIGINT NOT NULL,"
     "  used_at BIGINT,"
     "  created_at BIGINT NOT NULL);"

     "CREATE TABLE uploads ("
     "  sha256 TEXT NOT NULL PRIMARY KEY,"
     "  kind TEXT NOT NULL,"
     "  size BIGINT NOT NULL,"
     "  created_at BIGINT NOT NULL);"

     "CREATE TABLE applications ("
     "  id BIGINT NOT NULL PRIMARY KEY,"
     "  kind TEXT NOT NULL CHECK (kind IN ('issuance', 'renewal', 'revocation')),"
     "  account_id BIGINT NOT NULL REFERENCES accounts (id),"
     "  agency_id BIGINT NOT NULL REFERENCES agencies (id),"
     "  state TEXT NOT NULL CHECK (state IN ('pending', 'returned', 'approved', 'rejected',"
     "                                       'withdrawn', 'completed')),"
     "  letter_sha256 TEXT REFERENCES uploads (sha256),"
     "  ktp_sha256 TEXT REFERENCES uploads (sha256),"
     "  cert_serial TEXT REFERENCES certificates (serial),"
     "  reason BIGINT,"
     "  note TEXT,"
     "  decided_by BIGINT,"
     "  decided_at BIGINT,"
     "  created_at BIGINT NOT NULL,"
     "  updated_at BIGINT NOT NULL);"
     "CREATE INDEX applications_agency_state ON applications (agency_id, state);"
     "CREATE INDEX applications_account ON applications (account_id);"

     /* Owners' private keys, encrypted (ra/keys.c). */
     "CREATE TABLE subscriber_keys ("
     "  id BIGINT NOT NULL PRIMARY KEY,"
     "  account_id BIGINT NOT NULL REFERENCES accounts (id),"
     "  cert_serial TEXT NOT NULL UNIQUE REFERENCES certificates (serial),"
     "  key_type TEXT NOT NULL,"
     "  salt BLOB NOT NULL,"
     "  nonce BLOB NOT NULL,"
     "  ciphertext BLOB NOT NULL,"
     "  opslimit BIGINT NOT NULL,"
     "  memlimit BIGINT NOT NULL,"
     "  created_at BIGINT NOT NULL);"

     "ALTER TABLE certificates ADD COLUMN account_id BIGINT REFERENCES accounts (id);"
     "CREATE INDEX certificates_account ON certificates (account_id);"

     "CREATE TABLE reminders ("
     "  cert_serial TEXT NOT NULL,"
     "  days BIGINT NOT NULL,"
     "  sent_at BIGINT NOT NULL,"
     "  PRIMARY KEY (cert_serial, days));"},

    {3, "CRLs: the current CRL per issuing authority, its number and revocation epoch",
     "CREATE TABLE crls ("
     "  issuer TEXT NOT NULL PRIMARY KEY,"
     "  number BIGINT NOT NULL,"
     "  this_update BIGINT NOT NULL,"
     "  next_update BIGINT NOT NULL,"
     "  epoch BIGINT NOT NULL,"
     "  der BLOB NOT NULL);"
     "INSERT INTO meta (key, value) VALUES ('revocation.epoch', '0');"},

    {4, "signed documents: one row per document an owner signed with a key the home holds",
     "CREATE TABLE signed_documents ("
     "  id TEXT NOT NULL PRIMARY KEY," /* 32 hex digits, random: id_dokumen */
     "  account_id BIGINT NOT NULL REFERENCES accounts (id),"
     "  cert_serial TEXT NOT NULL REFERENCES certificates (serial),"
     "  signed_at BIGINT NOT NULL,"
     "  sha256 BLOB NOT NULL," /* of the signed file as written */
     "  level TEXT NOT NULL);" /* B-B ... B-LTA, or CAdES B-B / B-T */
     "CREATE INDEX signed_documents_sha256 ON signed_documents (sha256);"
     "CREATE INDEX signed_documents_account ON signed_documents (account_id, signed_at);"},

    {5,
     "applications: cancelled by a revocation, keyCompromise invalidity dates; keys carry "
     "their certificate's expiry; certificates carry their issuance order",
     /* Rebuilt (not altered) so the state check names 'cancelled'; PostgreSQL takes the same. */
     "CREATE TABLE applications_v5 ("
     "  id BIGINT NOT NULL PRIMARY KEY,"
     "  kind TEXT NOT NULL CHECK (kind IN ('issuance', 'renewal', 'revocation')),"
     "  account_id BIGINT NOT NULL REFERENCES accounts (id),"
     "  agency_id BIGINT NOT NULL REFERENCES agencies (id),"
     "  state TEXT NOT NULL CHECK (state IN ('pending', 'returned', 'approved', 'rejected',"
     "                                       'withdrawn', 'completed', 'cancelled')),"
     "  letter_sha256 TEXT REFERENCES uploads (sha256),"
     "  ktp_sha256 TEXT REFERENCES uploads (sha256),"
     "  cert_serial TEXT REFERENCES certificates (serial),"
     "  reason BIGINT,"
     "  invalidity_date BIGINT,"
     "  note TEXT,"
     "  decided_by BIGINT,"
     "  decided_at BIGINT,"
     "  created_at BIGINT NOT NULL,"
     "  updated_at BIGINT NOT NULL);"
     "INSERT INTO applications_v5 (id, kind, account_id, agency_id, state, letter_sha256, "
     "  ktp_sha256, cert_serial, reason, note, decided_by, decided_at, created_at, updated_at) "
     "  SELECT id, kind, account_id, agency_id, state, letter_sha256, ktp_sha256, cert_serial, "
     "  reason, note, decided_by, decided_at, created_at, updated_at FROM applications;"
     "DROP TABLE applications;"
     "ALTER TABLE applications_v5 RENAME TO applications;"
     "CREATE INDEX applications_agency_state ON applications (agency_id, state);"
     "CREATE INDEX applications_account ON applications (account_id);"

     /* The registration authority's own copy of when each key's certificate expires. */
     "ALTER TABLE subscriber_keys ADD COLUMN not_after BIGINT;"
     "UPDATE subscriber_keys SET not_after = (SELECT c.not_after FROM certificates c "
     "  WHERE c.serial = subscriber_keys.cert_serial);"
     "CREATE INDEX subscriber_keys_not_after ON subscriber_keys (not_after);"

     /* Issuance order, exact: "a person's newest certificate" must not depend on the second. */
     "ALTER TABLE certificates ADD COLUMN seq BIGINT;"
     "UPDATE certificates SET seq = (SELECT count(*) FROM certificates c2 WHERE "
     "  c2.created_at < certificates.created_at OR (c2.created_at = certificates.created_at "
     "  AND c2.serial <= certificates.serial));"
     "CREATE UNIQUE INDEX certificates_seq ON certificates (seq);"
     "CREATE INDEX certificates_account_seq ON certificates (account_id, seq);"
     "CREATE INDEX tokens_account ON tokens (account_id, purpose);"},

    {6,
     "logins: sessions, throttling, API clients, password-reset tokens; the second factor "
     "moves to the account, encrypted",
     /* The account's authenticator (owners sign with it, staff log in with it), sealed with a
      * key from the server secret (ra/login.c); subscribers.totp_secret is moved by ra_open. */
     "ALTER TABLE accounts ADD COLUMN totp_box BLOB;"
     "ALTER TABLE accounts ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;"
     "ALTER TABLE accounts ADD COLUMN password_set_at BIGINT;"
     "UPDATE accounts SET totp_last_step = coalesce((SELECT s.totp_last_step FROM subscribers s "
     "  WHERE s.account_id = accounts.id), 0);"

     /* Rebuilt so the purpose check names password_reset. */
     "CREATE TABLE tokens_v6 ("
     "  hash TEXT NOT NULL PRIMARY KEY,"
     "  purpose TEXT NOT NULL CHECK (purpose IN ('email_confirm', 'passphrase', 'email_otp',"
     "                                           'password_reset')),"
     "  account_id BIGINT NOT NULL REFERENCES accounts (id),"
     "  application_id BIGINT,"
     "  expires_at BIGINT NOT NULL,"
     "  used_at BIGINT,"
     "  created_at BIGINT NOT NULL);"
     "INSERT INTO tokens_v6 SELECT hash, purpose, account_id, application_id, expires_at, used_at,"
     "  created_at FROM tokens;"
     "DROP TABLE tokens;"
     "ALTER TABLE tokens_v6 RENAME TO tokens;"
     "CREATE INDEX tokens_account ON tokens (account_id, purpose);"

     /* Logged-in sessions: only the SHA-256 of the cookie is kept. */
     "CREATE TABLE sessions ("
     "  id_hash TEXT NOT NULL PRIMARY KEY,"
     "  account_id BIGINT NOT NULL REFERENCES accounts (id),"
     "  created_at BIGINT NOT NULL,"
     "  last_seen BIGINT NOT NULL,"
     "  expires_at BIGINT NOT NULL,"
     "  factor BIGINT NOT NULL DEFAULT 0," /* 1: a second factor was shown at login */
     "  client_addr TEXT);"
     "CREATE INDEX sessions_account ON sessions (account_id);"

     /* Failed attempts per key (an e-mail's hash, a client address) in a window. */
     "CREATE TABLE throttle ("
     "  key TEXT NOT NULL PRIMARY KEY,"
     "  failures BIGINT NOT NULL,"
     "  window_start BIGINT NOT NULL,"
     "  locked_until BIGINT NOT NULL DEFAULT 0);"

     /* Agency systems (BSrE's API clients): the secret only as a MAC under the server secret. */
     "CREATE TABLE api_clients ("
     "  id TEXT NOT NULL PRIMARY KEY,"
     "  agency_id BIGINT NOT NULL REFERENCES agencies (id),"
     "  name TEXT NOT NULL,"
     "  scopes TEXT NOT NULL,"
     "  secret_mac BLOB NOT NULL,"
     "  vouches_login BIGINT NOT NULL DEFAULT 0," /* the client's own user login is a factor */
     "  disabled_at BIGINT,"
     "  rotated_at BIGINT,"
     "  created_at BIGINT NOT NULL);"
     "CREATE INDEX api_clients_agency ON api_clients (agency_id);"},

    {7,
     "the BSrE facade: short signing sessions (v2's totp) and signed files kept for one download "
     "(v1)",
     /* An owner's key re-wrapped under a one-time code (ra/signsess.c): id is a keyed hash of
      * the code, box the key sealed under another; never the key in clear. */
     "CREATE TABLE sign_sessions ("
     "  id TEXT NOT NULL PRIMARY KEY,"
     "  account_id BIGINT NOT NULL REFERENCES accounts (id),"
     "  cert_serial TEXT NOT NULL,"
     "  actor TEXT NOT NULL," /* who opened it: only they use it */
     "  box BLOB NOT NULL,"
     "  uses_left BIGINT NOT NULL,"
     "  expires_at BIGINT NOT NULL,"
     "  created_at BIGINT NOT NULL);"
     "CREATE INDEX sign_sessions_account ON sign_sessions (account_id);"
     "CREATE INDEX sign_sessions_serial ON sign_sessions (cert_serial);"
     "CREATE INDEX sign_sessions_expires ON sign_sessions (expires_at);"
     /* A signed file for GET /api/sign/download/{id_dokumen}: once, by the client that signed
      * (ra/download.c); content NULL once downloaded, the row kept to answer 4044. */
     "CREATE TABLE signed_downloads ("
     "  doc_id TEXT NOT NULL PRIMARY KEY REFERENCES signed_documents (id),"
     "  client_id TEXT NOT NULL,"
     "  content BLOB,"
     "  size BIGINT NOT NULL,"
     "  created_at BIGINT NOT NULL,"
     "  expires_at BIGINT NOT NULL,"
     "  downloaded_at BIGINT);"
     "CREATE INDEX signed_downloads_expires ON signed_downloads (expires_at);"},

    {8,
     "applications: data updates (new unit or position), the revocation choice, each "
     "application's history; the register keeps the document's name and page count",
     /* Rebuilt so the kind check names 'update'. */
     "CREATE TABLE applications_v8 ("
     "  id BIGINT NOT NULL PRIMARY KEY,"
     "  kind TEXT NOT NULL CHECK (kind IN ('issuance', 'renewal', 'update', 'revocation')),"
     "  account_id BIGINT NOT NULL REFERENCES accounts (id),"
     "  agency_id BIGINT NOT NULL REFERENCES agencies (id),"
     "  state TEXT NOT NULL CHECK (state IN ('pending', 'returned', 'approved', 'rejected',"
     "                                       'withdrawn', 'completed', 'cancelled')),"
     "  letter_sha256 TEXT REFERENCES uploads (sha256),"
     "  ktp_sha256 TEXT REFERENCES uploads (sha256),"
     "  cert_serial TEXT REFERENCES certificates (serial),"
     "  reason BIGINT,"
     "  reason_choice TEXT," /* the owner's words for it (ra_revocation_choice) */
     "  invalidity_date BIGINT,"
     "  note TEXT,"
     "  new_unit TEXT," /* update: the new work unit, NULL when unchanged */
     "  new_position TEXT,"
     "  decided_by BIGINT,"
     "  decided_at BIGINT,"
     "  created_at BIGINT NOT NULL,"
     "  updated_at BIGINT NOT NULL);"
     "INSERT INTO applications_v8 (id, kind, account_id, agency_id, state, letter_sha256, "
     "  ktp_sha256, cert_serial, reason, invalidity_date, note, decided_by, decided_at, "
     "  created_at, updated_at) "
     "  SELECT id, kind, account_id, agency_id, state, letter_sha256, ktp_sha256, cert_serial, "
     "  reason, invalidity_date, note, decided_by, decided_at, created_at, updated_at "
     "  FROM applications;"
     "DROP TABLE applications;"
     "ALTER TABLE applications_v8 RENAME TO applications;"
     "CREATE INDEX applications_agency_state ON applications (agency_id, state);"
     "CREATE INDEX applications_account ON applications (account_id);"

     /* Every step of an application, written with the step (ra/app.c). Older applications
      * get what their row still tells: the submission, the last decision (a pending one
      * that has a decision was returned and sent again), the completion by its owner, a
      * cancellation. */
     "CREATE TABLE application_events ("
     "  application_id BIGINT NOT NULL REFERENCES applications (id),"
     "  seq BIGINT NOT NULL,"
     "  happened_at BIGINT NOT NULL,"
     "  actor TEXT NOT NULL,"
     "  event TEXT NOT NULL,"
     "  state TEXT NOT NULL,"
     "  note TEXT,"
     "  PRIMARY KEY (application_id, seq));"
     "INSERT INTO application_events (application_id, seq, happened_at, actor, event, state) "
     "  SELECT p.id, 1, p.created_at, a.email, 'submitted', 'pending' FROM applications p "
     "  JOIN accounts a ON a.id = p.account_id;"
     "INSERT INTO application_events (application_id, seq, happened_at, actor, event, state, "
     "  note) SELECT p.id, 2, p.decided_at, coalesce((SELECT a.email FROM accounts a WHERE "
     "  a.id = p.decided_by), 'local administrator'), "
     "  CASE p.state WHEN 'completed' THEN 'approved' WHEN 'pending' THEN 'returned' "
     "    ELSE p.state END, "
     "  CASE WHEN p.state = 'completed' AND p.kind <> 'revocation' THEN 'approved' "
     "    WHEN p.state = 'pending' THEN 'returned' ELSE p.state END, p.note "
     "  FROM applications p WHERE p.decided_at IS NOT NULL AND p.state <> 'cancelled';"
     "INSERT INTO application_events (application_id, seq, happened_at, actor, event, state) "
     "  SELECT p.id, 3, p.updated_at, a.email, "
     "  CASE p.state WHEN 'pending' THEN 'resubmitted' ELSE 'completed' END, p.state "
     "  FROM applications p JOIN accounts a ON a.id = p.account_id WHERE p.decided_at IS NOT "
     "  NULL AND (p.state = 'pending' OR (p.state = 'completed' AND p.kind <> 'revocation'));"
     "INSERT INTO application_events (application_id, seq, happened_at, actor, event, state) "
     "  SELECT p.id, 2, p.updated_at, 'system', 'cancelled', 'cancelled' FROM applications p "
     "  WHERE p.state = 'cancelled';"

     "ALTER TABLE signed_documents ADD COLUMN name TEXT;"
     "ALTER TABLE signed_documents ADD COLUMN pages BIGINT;"},
};

const int store_migrations_count = (int)(sizeof(store_migrations) / sizeof(store_migrations[0]));
