/*
 * errors.c - the API's error catalogue: each stable error code with its
 * message in Indonesian (the default) and English (Accept-Language). A
 * code is never renamed or reused; docs/api.md lists them. Endpoint files
 * add their codes here, not in their own tables, so that one list shows
 * every answer a client may get.
 */
#include <string.h>

#include "api/api_int.h"

typedef struct api_msg {
    const char *code;
    const char *id;
    const char *en;
} api_msg;

/* Sorted by code (checked by the unit tests), looked up by binary search. */
static const api_msg catalogue[] = {
    {"busy", "Layanan sedang sibuk. Coba lagi sebentar lagi.",
     "The service is busy. Try again shortly."},
    {"client_unauthorized", "Kredensial aplikasi klien tidak valid.",
     "The client application's credentials are not valid."},
    {"code_required", "Masukkan kode dari aplikasi autentikator Anda.",
     "Enter the code from your authenticator app."},
    {"confirmation_required",
     "Permohonan ini langsung menangguhkan sertifikat Anda. Konfirmasi terlebih dahulu.",
     "This request suspends your certificate at once. Confirm it first."},
    {"conflict", "Data tersebut sudah ada.", "That already exists."},
    {"cps_missing", "Dokumen kebijakan sertifikat (CP/CPS) belum diterbitkan oleh penyelenggara.",
     "The certificate policy (CP/CPS) has not been published by the operator yet."},
    {"csrf_invalid", "Token CSRF tidak ada atau tidak valid. Muat ulang halaman lalu coba lagi.",
     "The CSRF token is missing or wrong. Reload the page and try again."},
    {"current_password_wrong", "Kata sandi saat ini salah.", "The current password is wrong."},
    {"factor_enrolled",
     "Aplikasi autentikator sudah terdaftar. Minta verifikator mengatur ulang bila perangkat "
     "hilang.",
     "An authenticator is already enrolled. Ask a verifier to reset it if the device is lost."},
    {"factor_enrolment_needed",
     "Daftarkan aplikasi autentikator Anda terlebih dahulu sebelum melanjutkan.",
     "Enrol your authenticator app before going on."},
    {"field_invalid", "Isian tidak valid.", "A field is not valid."},
    {"field_missing", "Isian wajib belum diisi.", "A required field is missing."},
    {"forbidden", "Anda tidak berwenang melakukan tindakan ini.",
     "You are not allowed to do this."},
    {"internal", "Terjadi kesalahan pada server. Kejadian ini telah dicatat.",
     "The server failed. The failure has been logged."},
    {"invalid_json", "Isi permintaan bukan JSON yang valid.",
     "The request body is not valid JSON."},
    {"invalid_request", "Permintaan tidak valid.", "The request is not valid."},
    {"login_failed", "Email atau kata sandi salah.",
     "The e-mail address or the password is wrong."},
    {"login_required", "Silakan masuk terlebih dahulu.", "Log in first."},
    {"login_throttled", "Terlalu banyak percobaan masuk yang gagal. Coba lagi nanti.",
     "Too many failed logins. Try again later."},
    {"nik_invalid", "NIK tidak valid.", "The NIK is not valid."},
    {"no_certificate", "Anda belum memiliki sertifikat.", "You have no certificate yet."},
    {"not_found", "Data tidak ditemukan.", "Not found."},
    {"passphrase_weak", "Passphrase tidak memenuhi syarat.",
     "The passphrase does not meet the requirements."},
    {"passphrase_wrong", "Passphrase atau kode salah, atau penandatanganan sedang dikunci.",
     "The passphrase or the code is wrong, or signing is locked."},
    {"password_weak", "Kata sandi tidak memenuhi syarat (minimal 12 karakter).",
     "The password does not meet the requirements (at least 12 characters)."},
    {"session_invalid", "Sesi Anda telah berakhir. Silakan masuk kembali.",
     "Your session has ended. Log in again."},
    {"tls_required", "Kata sandi dan passphrase hanya boleh dikirim melalui koneksi aman (HTTPS).",
     "Passwords and passphrases are accepted only over a secure connection (HTTPS)."},
    {"token_invalid", "Token tidak valid, sudah digunakan, atau sudah kedaluwarsa.",
     "The token is not valid, already used, or expired."},
    {"upload_refused", "Berkas yang diunggah ditolak. Periksa keterangannya lalu unggah ulang.",
     "The uploaded file was refused. Read why, then upload again."},
    {"wrong_state", "Tindakan ini tidak dapat dilakukan pada status saat ini.",
     "This cannot be done in the current state."},
};

const char *api_message(const char *code, api_lang lang)
{
    size_t lo = 0, hi = sizeof(catalogue) / sizeof(catalogue[0]);

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(code, catalogue[mid].code);
        if (c == 0)
            return lang == API_LANG_EN ? catalogue[mid].en : catalogue[mid].id;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return code;
}

/* For the unit tests: the catalogue's size and entries. */
size_t api_catalogue_size(void);
const char *api_catalogue_code(size_t i);

size_t api_catalogue_size(void)
{
    return sizeof(catalogue) / sizeof(catalogue[0]);
}

const char *api_catalogue_code(size_t i)
{
    return i < api_catalogue_size() ? catalogue[i].code : NULL;
}
