/*
 * events.h - the names of audit events, one constant each, so that a
 * writer and a reader (audit listings, the auditor's portal, alerts) can
 * never disagree on spelling. Names are "<object>.<what happened>"; a name
 * once written to a log is never changed or reused.
 */
#ifndef SERTEL_AUDIT_EVENTS_H
#define SERTEL_AUDIT_EVENTS_H

/* The CA and its keys */
#define AUDIT_CA_CREATED "ca.created"
#define AUDIT_CONFIG_CHANGED "config.changed"
#define AUDIT_AUTHORITY_REKEYED "authority.rekeyed"
#define AUDIT_KEY_CREATED "key.created"
#define AUDIT_KEY_DESTROYED "key.destroyed"
#define AUDIT_CRL_ISSUED "crl.issued"
#define AUDIT_BACKUP_CREATED "backup.created"
#define AUDIT_HOME_RESTORED "home.restored"

/* Certificates */
#define AUDIT_CERT_ISSUED "cert.issued"
#define AUDIT_CERT_REVOKED "cert.revoked"
#define AUDIT_CERT_SUSPENDED "cert.suspended"
#define AUDIT_CERT_RELEASED "cert.released"

/* Agencies, accounts, people */
#define AUDIT_AGENCY_CREATED "agency.created"
#define AUDIT_ACCOUNT_CREATED "account.created"
#define AUDIT_SUBSCRIBER_REGISTERED "subscriber.registered"
#define AUDIT_SUBSCRIBER_EMAIL_CONFIRMED "subscriber.email_confirmed"

/* Applications and the verifier's decisions */
#define AUDIT_APPLICATION_SUBMITTED "application.submitted"
#define AUDIT_APPLICATION_APPROVED "application.approved"
#define AUDIT_APPLICATION_REJECTED "application.rejected"
#define AUDIT_APPLICATION_RETURNED "application.returned"
#define AUDIT_APPLICATION_WITHDRAWN "application.withdrawn"
#define AUDIT_APPLICATION_CANCELLED "application.cancelled"
#define AUDIT_APPLICATION_DOCUMENT_VIEWED "application.document_viewed"

/* Owner authentication: passphrase, second factor, lockout */
#define AUDIT_SIGN_AUTHORIZED "sign.authorized"
#define AUDIT_SIGN_DENIED "sign.denied"
#define AUDIT_SIGN_LOCKED "sign.locked"
#define AUDIT_SIGN_UNLOCKED "sign.unlocked"
#define AUDIT_TOTP_ENROLLED "totp.enrolled"
#define AUDIT_TOTP_RESET "totp.reset"
#define AUDIT_TOTP_SEALED "totp.sealed"
#define AUDIT_OTP_SENT "otp.sent"
#define AUDIT_TOKENS_REVOKED "tokens.revoked"

/* Logins and sessions */
#define AUDIT_LOGIN_SUCCEEDED "login.succeeded"
#define AUDIT_LOGIN_FAILED "login.failed"
#define AUDIT_LOGOUT "logout"
#define AUDIT_SESSION_EXPIRED "session.expired"
#define AUDIT_PASSWORD_RESET_REQUESTED "password.reset_requested"
#define AUDIT_PASSWORD_CHANGED "password.changed"
#define AUDIT_PASSWORD_CHANGE_FAILED "password.change_failed"
#define AUDIT_CLIENT_CREATED "client.created"
#define AUDIT_CLIENT_DISABLED "client.disabled"
#define AUDIT_CLIENT_ROTATED "client.rotated"

/* Signing sessions (BSrE v2's totp: the key re-wrapped under a one-time code) */
#define AUDIT_SIGNSESS_OPENED "signsess.opened"
#define AUDIT_SIGNSESS_VOIDED "signsess.voided"
#define AUDIT_SIGNSESS_EXPIRED "signsess.expired"

/* Documents and housekeeping */
#define AUDIT_DOC_SIGNED "doc.signed"
#define AUDIT_DOWNLOAD_KEPT "download.kept"
#define AUDIT_DOWNLOAD_TAKEN "download.taken"
#define AUDIT_DOWNLOAD_PURGED "download.purged"
#define AUDIT_NOTIFY_EXPIRY "notify.expiry"

/* Reading the log itself */
#define AUDIT_AUDIT_EXPORTED "audit.exported"

#endif
