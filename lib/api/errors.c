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
    {"cannot_sign", "Status sertifikat Anda tidak memungkinkan penandatanganan (lihat status).",
     "Your certificate's status does not allow signing (see status)."},
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
    /* BSrE's facade (ep_facade_v1.c, ep_facade_v2.c); status codes: facade_codes below */
    {"facade_already_downloaded", "Dokumen telah didownload sebelumnya",
     "The document was downloaded before."},
    {"facade_factor_required",
     "Kebijakan penandatanganan mewajibkan dua faktor autentikasi, tetapi aplikasi klien ini "
     "tidak terdaftar sebagai penjamin login penggunanya. Gunakan API v2 dengan totp, atau minta "
     "administrator mendaftarkan klien dengan --vouches-login.",
     "The signing policy asks for two authentication factors, and this client application is "
     "not registered as vouching for its users' login. Use the v2 API with a totp, or ask the "
     "administrator to register the client with --vouches-login."},
    {"facade_locked",
     "Penandatanganan dikunci karena terlalu banyak percobaan yang salah. Coba lagi nanti atau "
     "hubungi verifikator.",
     "Signing is locked after too many failed attempts. Try again later or contact the "
     "verifier."},
    {"facade_no_certificate", "User tidak memiliki sertifikat elektronik yang aktif",
     "The user has no electronic certificate in force."},
    {"facade_not_registered", "User tidak terdaftar", "The user is not registered."},
    {"facade_passphrase_wrong", "Passphrase anda salah", "The passphrase is wrong."},
    {"facade_seal_deferred",
     "Layanan segel elektronik (seal) belum tersedia di server ini. Gunakan tanda tangan "
     "perorangan: /api/sign/pdf atau /api/v2/sign/pdf.",
     "Electronic seals are not offered by this server yet. Sign as a person: /api/sign/pdf or "
     "/api/v2/sign/pdf."},
    {"facade_totp_wrong", "Kode TOTP salah, kedaluwarsa atau sudah habis dipakai",
     "The TOTP code is wrong, expired or used up."},
    {"factor_enrolled",
     "Aplikasi autentikator sudah terdaftar. Minta verifikator mengatur ulang bila perangkat "
     "hilang.",
     "An authenticator is already enrolled. Ask a verifier to reset it if the device is lost."},
    {"factor_enrolment_needed",
     "Daftarkan aplikasi autentikator Anda terlebih dahulu sebelum melanjutkan.",
     "Enrol your authenticator app before going on."},
    {"field_invalid", "Isian tidak valid.", "A field is not valid."},
    {"field_missing", "Isian wajib belum diisi.", "A required field is missing."},
    {"file_invalid",
     "Berkas tidak dapat diproses: bukan PDF yang valid atau tidak dapat ditandatangani.",
     "The file cannot be processed: it is not a valid PDF or cannot be signed."},
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
    {"overloaded", "Server sedang penuh. Coba lagi setelah waktu yang disebutkan (Retry-After).",
     "The server is at capacity. Try again after the time given (Retry-After)."},
    {"passphrase_weak", "Passphrase tidak memenuhi syarat.",
     "The passphrase does not meet the requirements."},
    {"passphrase_wrong", "Passphrase atau kode sekali pakai salah.",
     "The passphrase or the one-time code is wrong."},
    {"password_weak", "Kata sandi tidak memenuhi syarat (minimal 12 karakter).",
     "The password does not meet the requirements (at least 12 characters)."},
    {"rate_limited", "Terlalu banyak permintaan dari aplikasi ini. Coba lagi nanti.",
     "Too many requests from this application. Try again later."},
    {"session_invalid", "Sesi Anda telah berakhir. Silakan masuk kembali.",
     "Your session has ended. Log in again."},
    {"signing_locked",
     "Penandatanganan dikunci setelah percobaan yang gagal berulang kali. Coba lagi nanti atau "
     "hubungi verifikator.",
     "Signing is locked after repeated failed attempts. Try again later or contact your verifier."},
    {"tls_required", "Kata sandi dan passphrase hanya boleh dikirim melalui koneksi aman (HTTPS).",
     "Passwords and passphrases are accepted only over a secure connection (HTTPS)."},
    {"token_invalid", "Token tidak valid, sudah digunakan, atau sudah kedaluwarsa.",
     "The token is not valid, already used, or expired."},
    {"too_many_files", "Terlalu banyak berkas dalam satu permintaan.",
     "Too many files in one request."},
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

/* The facade's own codes and BSrE's status_code for each (docs/api.md, "BSrE facade"). */
static const struct {
    const char *code;
    int status_code;
} facade_codes[] = {
    {"conflict", 4024},
    {"facade_already_downloaded", 4044},
    {"facade_factor_required", 2041},
    {"facade_locked", 2032},
    {"facade_no_certificate", 2021},
    {"facade_not_registered", 2011},
    {"facade_passphrase_wrong", 2031},
    {"facade_totp_wrong", 2033},
    {"field_invalid", 4015},
    {"field_missing", 4014},
    {"invalid_json", 4015},
    {"invalid_request", 4015},
};

int api_facade_code(const char *code, int http_status)
{
    size_t i;

    for (i = 0; i < sizeof(facade_codes) / sizeof(facade_codes[0]); i++)
        if (strcmp(code, facade_codes[i].code) == 0)
            return facade_codes[i].status_code;
    return http_status;
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
