/*
 * verify_id.c - Indonesian wording of the validator's findings. The
 * library records every reason, change and note in English (the JSON
 * `reasons[]`, `changes[]`... stay stable for programs); the text report
 * in Indonesian and the JSON `*_id` arrays (docs/verify-json.md) carry
 * the translation made here. Each English message is matched against the
 * printf format it was made from (the table below holds them verbatim);
 * the values put into it are carried over into the Indonesian form
 * (%1, %2... in order), translated themselves when they are messages (a
 * change inside "the document was changed after this signature: %s").
 * A message without a translation is shown as it is.
 */
#include <stdio.h>
#include <string.h>

#include "pdf/verify_int.h"

typedef struct tr {
    const char *en; /* the printf format of the English message */
    const char *id; /* Indonesian, %1..%9: the values in the English order */
} tr;

static const tr TR[] = {
    /* ByteRange and /Contents (verify.c) */
    {"the signature has no /ByteRange", "tanda tangan tidak memiliki /ByteRange"},
    {"/ByteRange is not an array", "/ByteRange bukan sebuah array"},
    {"/ByteRange must hold exactly 4 numbers", "/ByteRange harus berisi tepat 4 angka"},
    {"/ByteRange holds something other than non-negative integers",
     "/ByteRange berisi sesuatu selain bilangan bulat tidak negatif"},
    {"/ByteRange does not start at 0", "/ByteRange tidak dimulai dari 0"},
    {"/ByteRange ranges are out of order, overlap or lie outside the file",
     "rentang /ByteRange tidak berurutan, tumpang tindih atau berada di luar berkas"},
    {"/ByteRange points beyond the end of the file", "/ByteRange menunjuk melewati akhir berkas"},
    {"the gap of /ByteRange is not the /Contents hex string",
     "celah /ByteRange bukan string heksadesimal /Contents"},
    {"unsigned bytes lie between the signature value (/Contents) and the second signed range: "
     "the signed bytes were moved and unsigned content was put in their place (Signature "
     "Wrapping)",
     "ada bita yang tidak ditandatangani di antara nilai tanda tangan (/Contents) dan rentang "
     "bertanda tangan kedua: bita yang ditandatangani dipindahkan dan konten yang tidak "
     "ditandatangani diletakkan di tempatnya (Signature Wrapping)"},
    {"the gap of /ByteRange holds more than the /Contents hex string",
     "celah /ByteRange berisi lebih dari string heksadesimal /Contents"},
    {"the /Contents hex string has an odd number of digits",
     "string heksadesimal /Contents memiliki jumlah digit ganjil"},
    {"/ByteRange does not end at the end of a revision (%%%%EOF) or of the file",
     "/ByteRange tidak berakhir di akhir sebuah revisi (%%%%EOF) atau di akhir berkas"},
    {"the signature field's /V is not a signature dictionary",
     "/V kolom tanda tangan bukan kamus tanda tangan"},
    {"the signature has no /Contents", "tanda tangan tidak memiliki /Contents"},
    {"/Contents is not a direct string", "/Contents bukan string langsung"},
    {"/Contents is empty", "/Contents kosong"},
    {"the signature dictionary is not the object around the /ByteRange gap (moved, compressed "
     "or redefined after signing)",
     "kamus tanda tangan bukan objek di sekitar celah /ByteRange (dipindahkan, dikompresi atau "
     "didefinisikan ulang setelah penandatanganan)"},
    {"/Contents is not the string in the /ByteRange gap",
     "/Contents bukan string di dalam celah /ByteRange"},
    {"out of memory", "memori tidak cukup"},
    {"/Contents does not hold a DER signature (empty, zeros or truncated)",
     "/Contents tidak berisi tanda tangan DER (kosong, nol atau terpotong)"},
    {"/Contents holds data after the signature", "/Contents berisi data setelah tanda tangan"},
    /* changes after signing (verify_diff.c) */
    {"object %u, which the signed revision referred to while it did not exist, was defined later "
     "(shadow attack)",
     "objek %1, yang dirujuk revisi yang ditandatangani padahal belum ada, didefinisikan kemudian "
     "(shadow attack)"},
    {"%s now points to object %u of the signed revision, rewritten for it",
     "%1 kini menunjuk objek %2 dari revisi yang ditandatangani, yang ditulis ulang untuknya"},
    {"%s: a stream (object %u) was rewritten", "%1: sebuah stream (objek %2) ditulis ulang"},
    {"%s (object %u) was rewritten, but the signed revision also uses it elsewhere (%u "
     "references): that other place changed too",
     "%1 (objek %2) ditulis ulang, padahal revisi yang ditandatangani juga memakainya di tempat "
     "lain (%3 rujukan): tempat lain itu ikut berubah"},
    {"an appearance dictionary", "sebuah kamus tampilan"},
    {"an appearance stream", "sebuah stream tampilan"},
    {"the widgets (/Kids) of a new field", "widget (/Kids) kolom baru"},
    {"the form (AcroForm)", "formulir (AcroForm)"},
    {"the form's /Fields", "/Fields formulir"},
    {"the form's default resources (/DR)", "sumber daya bawaan formulir (/DR)"},
    {"an array of the DSS", "sebuah array DSS"},
    {"validation data in the DSS", "data validasi di dalam DSS"},
    {"the DSS's /VRI", "/VRI milik DSS"},
    {"a VRI entry", "sebuah entri VRI"},
    {"a VRI time-stamp", "stempel waktu VRI"},
    {"the validation data (DSS)", "data validasi (DSS)"},
    {"a page's resources", "sumber daya halaman"},
    {"a page's annotations", "anotasi halaman"},
    {"the page tree's /Kids", "/Kids pohon halaman"},
    {"the document metadata (/Metadata)", "metadata dokumen (/Metadata)"},
    {"the catalog's /Extensions", "/Extensions katalog"},
    {"the catalog's /MarkInfo", "/MarkInfo katalog"},
    {"the document information (/Info)", "informasi dokumen (/Info)"},
    {"%s: its appearance (/AP) was removed (object %u)",
     "%1: tampilannya (/AP) dihapus (objek %2)"},
    {"%s: /AP is not a dictionary (object %u)", "%1: /AP bukan sebuah kamus (objek %2)"},
    {"%s: its appearance was replaced, but its old appearance dictionary (object %u) is also used "
     "elsewhere in the signed revision",
     "%1: tampilannya diganti, padahal kamus tampilan lamanya (objek %2) juga dipakai di tempat "
     "lain dalam revisi yang ditandatangani"},
    {"form field %s: its widget changed: /%s (object %u)",
     "kolom formulir %1: widget-nya diubah: /%2 (objek %3)"},
    {"form field %s was changed, but this signature locks it (FieldMDP /Action /%s) (object %u)",
     "kolom formulir %1 diubah, padahal tanda tangan ini menguncinya (FieldMDP /Action /%2) "
     "(objek %3)"},
    {"signature field %s: its value is not a new signature dictionary (object %u)",
     "kolom tanda tangan %1: nilainya bukan kamus tanda tangan baru (objek %2)"},
    {"document time-stamp added (field %s, object %u)",
     "stempel waktu dokumen ditambahkan (kolom %1, objek %2)"},
    {"signature added (field %s, object %u)", "tanda tangan ditambahkan (kolom %1, objek %2)"},
    {"a new signature field (object %u) with a visible appearance at [%.0f %.0f %.0f %.0f] "
     "(Sneaky Signature: only existing empty signature fields may be filled)",
     "kolom tanda tangan baru (objek %1) dengan tampilan terlihat di [%2 %3 %4 %5] (Sneaky "
     "Signature: hanya kolom tanda tangan kosong yang sudah ada yang boleh diisi)"},
    {"a new unsigned signature field (object %u) whose visible appearance at [%.0f %.0f %.0f "
     "%.0f] draws over the page without being signed",
     "kolom tanda tangan baru yang belum ditandatangani (objek %1) yang tampilannya di [%2 %3 %4 "
     "%5] menggambar di atas halaman tanpa ditandatangani"},
    {"signature field %s was added as object %u of the signed revision, rewritten",
     "kolom tanda tangan %1 ditambahkan sebagai objek %2 dari revisi yang ditandatangani, yang "
     "ditulis ulang"},
    {"signature field %s added (object %u)", "kolom tanda tangan %1 ditambahkan (objek %2)"},
    {"signature field %s changed: /%s (object %u)", "kolom tanda tangan %1 diubah: /%2 (objek %3)"},
    {"signature field %s changed after it was %s: /%s (object %u)",
     "kolom tanda tangan %1 diubah setelah %2: /%3 (objek %4)"},
    {"signed", "ditandatangani"},
    {"created", "dibuat"},
    {"form field %s changed its type (object %u)", "jenis kolom formulir %1 diubah (objek %2)"},
    {"form field %s moved to object %u of the signed revision, rewritten",
     "kolom formulir %1 dipindahkan ke objek %2 dari revisi yang ditandatangani, yang ditulis "
     "ulang"},
    {"form field %s changed: /%s (object %u)", "kolom formulir %1 diubah: /%2 (objek %3)"},
    {"push button %s got a new appearance (object %u): a push button holds no value to fill in",
     "tombol %1 mendapat tampilan baru (objek %2): tombol tidak memiliki nilai untuk diisi"},
    {"form field %s filled in (object %u)", "kolom formulir %1 diisi (objek %2)"},
    {"the form (AcroForm) was removed", "formulir (AcroForm) dihapus"},
    {"the form (AcroForm) is not a dictionary", "formulir (AcroForm) bukan sebuah kamus"},
    {"form (AcroForm) changed: /%s (object %u)", "formulir (AcroForm) diubah: /%1 (objek %2)"},
    {"form: default resources (/DR) updated (object %u)",
     "formulir: sumber daya bawaan (/DR) diperbarui (objek %1)"},
    {"form: default appearance (/DA, /Q) changed (object %u)",
     "formulir: tampilan bawaan (/DA, /Q) diubah (objek %1)"},
    {"form: /NeedAppearances changed (object %u)", "formulir: /NeedAppearances diubah (objek %1)"},
    {"the form lists a field that is not an object of its own",
     "formulir mencantumkan kolom yang bukan objek tersendiri"},
    {"two form fields are named %s (objects %u and %u)",
     "dua kolom formulir bernama %1 (objek %2 dan %3)"},
    {"form field %s was removed (object %u)", "kolom formulir %1 dihapus (objek %2)"},
    {"form field %s was added (object %u): only signature fields may be added",
     "kolom formulir %1 ditambahkan (objek %2): hanya kolom tanda tangan yang boleh ditambahkan"},
    {"DSS: /%s is not an array of streams", "DSS: /%1 bukan array stream"},
    {"DSS: /%s holds something other than references to streams",
     "DSS: /%1 berisi sesuatu selain rujukan ke stream"},
    {"DSS: /VRI is not a dictionary", "DSS: /VRI bukan sebuah kamus"},
    {"DSS: the VRI entry %.40s was changed or removed", "DSS: entri VRI %1 diubah atau dihapus"},
    {"DSS: /VRI holds an entry /%.60s that is not a signature's validation data",
     "DSS: /VRI berisi entri /%1 yang bukan data validasi sebuah tanda tangan"},
    {"DSS: a VRI entry holds /%.60s", "DSS: sebuah entri VRI berisi /%1"},
    {"the validation data (DSS) was removed", "data validasi (DSS) dihapus"},
    {"the DSS is not a dictionary", "DSS bukan sebuah kamus"},
    {"DSS: unexpected entry /%.60s", "DSS: entri tak terduga /%1"},
    {"DSS: /VRI was removed", "DSS: /VRI dihapus"},
    {"DSS updated (object %u)", "DSS diperbarui (objek %1)"},
    {"page %zu changed: /%s (object %u)", "halaman %1 diubah: /%2 (objek %3)"},
    {"page %zu changed: /Resources (object %u)", "halaman %1 diubah: /Resources (objek %2)"},
    {"page %zu changed: /Resources /%.40s (object %u)",
     "halaman %1 diubah: /Resources /%2 (objek %3)"},
    {"page %zu changed: resource /%.40s /%.60s (object %u)",
     "halaman %1 diubah: sumber daya /%2 /%3 (objek %4)"},
    {"page %zu: resource /%.40s /%.60s was added, but the signed page content already names it: "
     "what the page shows changes (shadow attack) (object %u)",
     "halaman %1: sumber daya /%2 /%3 ditambahkan, padahal isi halaman yang ditandatangani sudah "
     "menyebutnya: tampilan halaman berubah (shadow attack) (objek %4)"},
    {"page %zu: resources extended for a new appearance (%s) (object %u)",
     "halaman %1: sumber daya ditambah untuk tampilan baru (%2) (objek %3)"},
    {"rewritten", "ditulis ulang"},
    {"page %zu: annotations changed: an object that is not an annotation (object %u) (object %u)",
     "halaman %1: anotasi diubah: objek yang bukan anotasi (objek %2) (objek %3)"},
    {"page %zu: annotations changed: a %.40s annotation (object %u) that can cover page content "
     "(Evil Annotation: only comment annotations are allowed) (object %u)",
     "halaman %1: anotasi diubah: anotasi %2 (objek %3) yang dapat menutupi isi halaman (Evil "
     "Annotation: hanya anotasi komentar yang diizinkan) (objek %4)"},
    {"page %zu: annotations changed: a %.40s annotation (object %u) (object %u)",
     "halaman %1: anotasi diubah: anotasi %2 (objek %3) (objek %4)"},
    {"page %zu: annotations changed: /Annots is not an array (object %u)",
     "halaman %1: anotasi diubah: /Annots bukan sebuah array (objek %2)"},
    {"page %zu: comment annotation removed (object %u)",
     "halaman %1: anotasi komentar dihapus (objek %2)"},
    {"page %zu: annotations changed: an annotation was removed (object %u) (object %u)",
     "halaman %1: anotasi diubah: sebuah anotasi dihapus (objek %2) (objek %3)"},
    {"page %zu: annotations changed: items were reordered (object %u)",
     "halaman %1: anotasi diubah: urutannya diubah (objek %2)"},
    {"comment annotation turned into %s (object %u), which can cover page content (Evil "
     "Annotation)",
     "anotasi komentar diubah menjadi %1 (objek %2) yang dapat menutupi isi halaman (Evil "
     "Annotation)"},
    {"something else", "sesuatu yang lain"},
    {"comment annotation modified (object %u)", "anotasi komentar diubah (objek %1)"},
    {"page %zu: visible signature widget (object %u) at [%.0f %.0f %.0f %.0f]",
     "halaman %1: widget tanda tangan terlihat (objek %2) di [%3 %4 %5 %6]"},
    {"page %zu: annotations changed: %s (object %u) was put on the page (object %u)",
     "halaman %1: anotasi diubah: %2 (objek %3) diletakkan di halaman (objek %4)"},
    {"an object of the signed revision", "sebuah objek dari revisi yang ditandatangani"},
    {"a direct annotation", "sebuah anotasi langsung"},
    {"page %zu: comment annotation added: a %s annotation (object %u)",
     "halaman %1: anotasi komentar ditambahkan: anotasi %2 (objek %3)"},
    {"page %zu: signature widget added (object %u)",
     "halaman %1: widget tanda tangan ditambahkan (objek %2)"},
    {"the page tree changed or is damaged (object %u)",
     "pohon halaman diubah atau rusak (objek %1)"},
    {"the page tree now uses object %u of the signed revision, rewritten",
     "pohon halaman kini memakai objek %1 dari revisi yang ditandatangani, yang ditulis ulang"},
    {"the page tree changed: /Parent (object %u)", "pohon halaman diubah: /Parent (objek %1)"},
    {"the page tree changed: /%s (object %u)", "pohon halaman diubah: /%1 (objek %2)"},
    {"page count changed from %zu to %zu", "jumlah halaman berubah dari %1 menjadi %2"},
    {"page %zu rewritten as object %u", "halaman %1 ditulis ulang sebagai objek %2"},
    {"the document catalog cannot be read", "katalog dokumen tidak dapat dibaca"},
    {"the document catalog was replaced", "katalog dokumen diganti"},
    {"catalog changed: /%s (object %u)", "katalog diubah: /%1 (objek %2)"},
    {"catalog rewritten as object %u", "katalog ditulis ulang sebagai objek %1"},
    {"catalog changed: /%s removed (object %u)", "katalog diubah: /%1 dihapus (objek %2)"},
    {"catalog: /Version is not a name (object %u)",
     "katalog: /Version bukan sebuah nama (objek %1)"},
    {"catalog: /Version set to %.16s (object %u)", "katalog: /Version menjadi %1 (objek %2)"},
    {"catalog: /Metadata is not a metadata stream (object %u)",
     "katalog: /Metadata bukan stream metadata (objek %1)"},
    {"document metadata (XMP) updated (object %u)", "metadata dokumen (XMP) diperbarui (objek %1)"},
    {"catalog: /%s is not a dictionary (object %u)", "katalog: /%1 bukan sebuah kamus (objek %2)"},
    {"catalog: /%s updated (object %u)", "katalog: /%1 diperbarui (objek %2)"},
    {"document information updated (object %u)", "informasi dokumen diperbarui (objek %1)"},
    {"the encryption (/Encrypt) was changed", "enkripsi (/Encrypt) diubah"},
    {"object %u deleted", "objek %1 dihapus"},
    {"object %u was redefined and cannot be read",
     "objek %1 didefinisikan ulang dan tidak dapat dibaca"},
    {"content of page %zu changed (object %u)", "isi halaman %1 diubah (objek %2)"},
    {"%s changed (object %u)", "%1 diubah (objek %2)"},
    {"new object %u (%s) that no permitted change explains",
     "objek baru %1 (%2) yang tidak dijelaskan oleh perubahan yang diizinkan"},
    {"objects the document does not use (cross-reference or object streams, replaced "
     "objects): %zu",
     "objek yang tidak dipakai dokumen (stream referensi silang atau stream objek, objek yang "
     "telah diganti): %1"},
    {"objects written again unchanged: %zu", "objek yang ditulis ulang tanpa perubahan: %1"},
    {"object %u is defined twice in a revision after this signature: readers may disagree on "
     "which definition counts (object collision)",
     "objek %1 didefinisikan dua kali dalam revisi setelah tanda tangan ini: aplikasi pembaca "
     "bisa berbeda pendapat definisi mana yang berlaku (tabrakan objek)"},
    {"the signed revision cannot be read on its own: %s",
     "revisi yang ditandatangani tidak dapat dibaca tersendiri: %1"},
    {"more changes than the report lists, one of them not permitted",
     "ada lebih banyak perubahan daripada yang dilaporkan, salah satunya tidak diizinkan"},
    {"not permitted by the certification (DocMDP P=%d): %s",
     "tidak diizinkan oleh sertifikasi (DocMDP P=%1): %2"},
    {"the cross-reference is damaged and was recovered by scanning",
     "tabel referensi silang rusak dan dipulihkan dengan pemindaian"},
    {"object %u is defined twice in one revision (object collision)",
     "objek %1 didefinisikan dua kali dalam satu revisi (tabrakan objek)"},
    {"object %u is defined twice in a signed revision: readers may show either definition, and "
     "this signature covers both",
     "objek %1 didefinisikan dua kali dalam revisi yang ditandatangani: aplikasi pembaca bisa "
     "menampilkan salah satunya, dan tanda tangan ini mencakup keduanya"},
    {"the /ByteRange counts the %zu bytes before %%PDF-: they are signed too",
     "/ByteRange menghitung %1 bita sebelum %%PDF-: bita itu juga ditandatangani"},
    {"the /Encrypt entry is broken (%s): the document was read without decrypting it",
     "entri /Encrypt rusak (%1): dokumen dibaca tanpa didekripsi"},
    {"%zu bytes precede the %%PDF- header: readers skip them; a signature covers them only when "
     "its /ByteRange counts them",
     "%1 bita mendahului header %%PDF-: aplikasi pembaca melewatinya; sebuah tanda tangan "
     "mencakupnya hanya jika /ByteRange-nya menghitungnya"},
    {"/Perms /DocMDP names this signature, but it has no DocMDP /Reference",
     "/Perms /DocMDP menunjuk tanda tangan ini, tetapi tanda tangan ini tidak memiliki /Reference "
     "DocMDP"},
    {"/Perms /DocMDP does not name a signature of the document",
     "/Perms /DocMDP tidak menunjuk tanda tangan dokumen ini"},
    {"a signature before the certification signature: a certification signature must be the "
     "first signature of the document",
     "tanda tangan sebelum tanda tangan sertifikasi: tanda tangan sertifikasi harus menjadi "
     "tanda tangan pertama dokumen"},
    /* the visual check (verify_visual.c) */
    {"page %s of the document looks different from the signed revision outside the areas the "
     "accepted changes may paint",
     "halaman %1 dokumen tampak berbeda dari revisi yang ditandatangani di luar area yang boleh "
     "digambar oleh perubahan yang diterima"},
    {"pages not compared: %s", "halaman tidak dibandingkan: %1"},
    {"pages not compared from page %zu on: %s", "halaman tidak dibandingkan mulai halaman %1: %2"},
    {"pages not compared from page %zu on: the document's rendering budget (%zu Mpixel) is spent",
     "halaman tidak dibandingkan mulai halaman %1: anggaran perenderan dokumen (%2 Mpiksel) habis"},
    {"page %zu not compared: %s", "halaman %1 tidak dibandingkan: %2"},
    {"page %zu not compared: neither revision gives it (%s)",
     "halaman %1 tidak dibandingkan: tidak ada di kedua revisi (%2)"},
    {"the signed revision has %zu pages, the document %zu",
     "revisi yang ditandatangani memiliki %1 halaman, dokumen %2"},
    {"pages compared with the signed revision: the first %d of %zu",
     "halaman yang dibandingkan dengan revisi yang ditandatangani: %1 pertama dari %2"},
    {"pages not compared with the signed revision: %s",
     "halaman tidak dibandingkan dengan revisi yang ditandatangani: %1"},
    {"the document was read without decrypting it", "dokumen dibaca tanpa didekripsi"},
    {"the visual check is turned off", "pemeriksaan tampilan dimatikan"},
    {"the document was changed after this signature: %s",
     "dokumen diubah setelah tanda tangan ini: %1"},
    {"the document has no signatures", "dokumen tidak memiliki tanda tangan"},
    /* the CMS (verify_cms.c) */
    {"the signer's certificate does not allow digital signatures (key usage)",
     "sertifikat penanda tangan tidak mengizinkan tanda tangan digital (key usage)"},
    {"the signer's certificate is not for document signing (extended key usage)",
     "sertifikat penanda tangan bukan untuk penandatanganan dokumen (extended key usage)"},
    {"the signature time-stamp is not a DER TimeStampToken",
     "stempel waktu tanda tangan bukan TimeStampToken DER"},
    {"the signature time-stamp cannot be read", "stempel waktu tanda tangan tidak dapat dibaca"},
    {"the signature time-stamp does not verify (%s)",
     "stempel waktu tanda tangan tidak terverifikasi (%1)"},
    {"the signature time-stamp has no readable time",
     "stempel waktu tanda tangan tidak memiliki waktu yang dapat dibaca"},
    {"no chain to a trust anchor (%s); give the issuer with --trust or --home",
     "tidak ada rantai ke sertifikat akar tepercaya (%1); berikan penerbitnya dengan --trust atau "
     "--home"},
    {"a certificate of the chain was not valid at the %s (%s)",
     "sebuah sertifikat dalam rantai tidak berlaku pada %1 (%2)"},
    {"time-stamped signing time", "waktu penandatanganan yang dibubuhi stempel waktu"},
    {"validation time (no time-stamp)", "waktu validasi (tanpa stempel waktu)"},
    {"a certificate of the chain is revoked (embedded CRL)",
     "sebuah sertifikat dalam rantai telah dicabut (CRL tertanam)"},
    {"no embedded CRL for the chain (%s)", "tidak ada CRL tertanam untuk rantai (%1)"},
    {"the certificate chain does not verify (%s)", "rantai sertifikat tidak terverifikasi (%1)"},
    {"malformed %s attribute", "atribut %1 cacat"},
    {"the %s attribute does not name the signer's certificate%s",
     "atribut %1 tidak menunjuk sertifikat penanda tangan%2"},
    {" (an entry cannot be read)", " (sebuah entri tidak dapat dibaca)"},
    {"the %s attribute names the signer's certificate in entry %d, not first",
     "atribut %1 menunjuk sertifikat penanda tangan pada entri ke-%2, bukan yang pertama"},
    {"the signature algorithm %s%s is not supported: the signature value cannot be checked",
     "algoritma tanda tangan %1%2 tidak didukung: nilai tanda tangan tidak dapat diperiksa"},
    {" without signed attributes", " tanpa atribut bertanda tangan"},
    {"the digest algorithm %s is not allowed with %s (RFC 8419: %s)",
     "algoritma digest %1 tidak diizinkan dengan %2 (RFC 8419: %3)"},
    {"the signer's certificate is now revoked: revoked at %s (%s%s%s, %s), after the "
     "time-stamped signing time %s: the signature was made before the revocation and stays valid",
     "sertifikat penanda tangan kini dicabut: dicabut pada %1 (%2%3%4, %5), setelah waktu "
     "penandatanganan yang dibubuhi stempel waktu %6: tanda tangan dibuat sebelum pencabutan dan "
     "tetap sah"},
    {", invalid since ", ", tidak sah sejak "},
    {"the signer's certificate was revoked at %s (%s, %s), before the signature time-stamp %s: no "
     "proof that the signature existed before the revocation",
     "sertifikat penanda tangan dicabut pada %1 (%2, %3), sebelum stempel waktu tanda tangan %4: "
     "tidak ada bukti bahwa tanda tangan sudah ada sebelum pencabutan"},
    {"the signer's certificate was revoked at %s (%s, %s), after the validation time: it was not "
     "revoked then",
     "sertifikat penanda tangan dicabut pada %1 (%2, %3), setelah waktu validasi: saat itu belum "
     "dicabut"},
    {"the signature time-stamp is later than the validation time: the chain was checked at the "
     "validation time",
     "stempel waktu tanda tangan lebih lambat dari waktu validasi: rantai diperiksa pada waktu "
     "validasi"},
    {"%s is accepted: the signature is %s %s, before %s, from when it no longer binds a signature",
     "%1 diterima: tanda tangan %2 %3, sebelum %4, sejak saat itu algoritma tersebut tidak lagi "
     "mengikat tanda tangan"},
    {"proven by its time-stamp to exist at", "terbukti oleh stempel waktunya sudah ada pada"},
    {"the level is read from the file: its time-stamp and validation data could not be checked",
     "level dibaca dari berkas: stempel waktu dan data validasinya tidak dapat diperiksa"},
    {"validated as of", "divalidasi per"},
    {"the signer's certificate was revoked at %s (%s, %s) and no time-stamp proves the signature "
     "existed before",
     "sertifikat penanda tangan dicabut pada %1 (%2, %3) dan tidak ada stempel waktu yang "
     "membuktikan tanda tangan sudah ada sebelumnya"},
    {"a CA of the signer's chain was revoked before the signing time was proven",
     "sebuah CA dalam rantai penanda tangan dicabut sebelum waktu penandatanganan terbukti"},
    {"a CA of the signer's chain was revoked after the time-stamped signing time",
     "sebuah CA dalam rantai penanda tangan dicabut setelah waktu penandatanganan yang dibubuhi "
     "stempel waktu"},
    {"no revocation status for the signer's chain (offline): %s",
     "tidak ada status pencabutan untuk rantai penanda tangan (luring): %1"},
    {"no revocation status for the signer's chain: %s",
     "tidak ada status pencabutan untuk rantai penanda tangan: %1"},
    {"the signature is empty or too large", "tanda tangan kosong atau terlalu besar"},
    {"the signature is not a DER CMS structure", "tanda tangan bukan struktur CMS DER"},
    {"the CMS is not SignedData", "CMS bukan SignedData"},
    {"the CMS carries its content (not a detached signature)",
     "CMS membawa isinya sendiri (bukan tanda tangan terpisah)"},
    {"the CMS must have exactly one signer (has %d)",
     "CMS harus memiliki tepat satu penanda tangan (ada %1)"},
    {"the signer's certificate is not in the signature",
     "sertifikat penanda tangan tidak ada di dalam tanda tangan"},
    {"the digest algorithm is unknown or too weak (SHA-256 or stronger needed)",
     "algoritma digest tidak dikenal atau terlalu lemah (perlu SHA-256 atau yang lebih kuat)"},
    {"the digest algorithm %s is too weak (SHA-256 or stronger needed)",
     "algoritma digest %1 terlalu lemah (diperlukan SHA-256 atau yang lebih kuat)"},
    {"the signature's content is not a SHA-1 digest (adbe.pkcs7.sha1)",
     "isi tanda tangan bukan digest SHA-1 (adbe.pkcs7.sha1)"},
    {"the SHA-1 digest in the signature (adbe.pkcs7.sha1) does not match the document: the "
     "signed bytes were changed",
     "digest SHA-1 di dalam tanda tangan (adbe.pkcs7.sha1) tidak cocok dengan dokumen: bita yang "
     "ditandatangani telah diubah"},
    {"the signature binds the document with SHA-1 (SubFilter adbe.pkcs7.sha1), no longer "
     "accepted for electronic signatures",
     "tanda tangan mengikat dokumen dengan SHA-1 (SubFilter adbe.pkcs7.sha1), yang tidak lagi "
     "diterima untuk tanda tangan elektronik"},
    {"SubFilter adbe.x509.rsa_sha1 (a bare PKCS#1 signature with /Cert, deprecated since PDF "
     "2.0) is not supported",
     "SubFilter adbe.x509.rsa_sha1 (tanda tangan PKCS#1 polos dengan /Cert, usang sejak PDF 2.0) "
     "tidak didukung"},
    {"the signature has no signed attributes: its value is over the document's digest directly",
     "tanda tangan tidak memiliki atribut bertanda tangan: nilainya langsung atas digest "
     "dokumen"},
    {"the signed attributes need exactly one message-digest",
     "atribut bertanda tangan harus memiliki tepat satu message-digest"},
    {"the signed data cannot be read", "data yang ditandatangani tidak dapat dibaca"},
    {"the document's digest does not match the signed message-digest: the signed bytes were "
     "changed",
     "digest dokumen tidak cocok dengan message-digest yang ditandatangani: bita yang "
     "ditandatangani telah diubah"},
    {"the signature value does not verify with the signer's public key",
     "nilai tanda tangan tidak terverifikasi dengan kunci publik penanda tangan"},
    {"no content-type signed attribute", "tidak ada atribut bertanda tangan content-type"},
    {"the TSA's certificate was revoked before the time-stamp: the signing time is not proven",
     "sertifikat TSA dicabut sebelum stempel waktu: waktu penandatanganan tidak terbukti"},
    {"no revocation status for the TSA's chain: %s",
     "tidak ada status pencabutan untuk rantai TSA: %1"},
    {"a CA of the TSA's chain was revoked before the time-stamp",
     "sebuah CA dalam rantai TSA dicabut sebelum stempel waktu"},
    {"the signature time-stamp attribute is malformed", "atribut stempel waktu tanda tangan cacat"},
    {"no valid signature time-stamp: the signing time is only claimed; the certificate was "
     "checked at the validation time",
     "tidak ada stempel waktu tanda tangan yang valid: waktu penandatanganan hanya klaim; "
     "sertifikat diperiksa pada waktu validasi"},
    {"signing-time is a signed attribute: not PAdES baseline",
     "signing-time adalah atribut bertanda tangan: bukan PAdES baseline"},
    {"the TSA's certificate was revoked at %s (%s, %s), after the document time-stamp's time",
     "sertifikat TSA dicabut pada %1 (%2, %3), setelah waktu stempel waktu dokumen"},
    {"the TSA's certificate was revoked at %s (%s, %s), before the document time-stamp's time",
     "sertifikat TSA dicabut pada %1 (%2, %3), sebelum waktu stempel waktu dokumen"},
    {"a CA of the document time-stamp's TSA chain was revoked before its time",
     "sebuah CA dalam rantai TSA stempel waktu dokumen dicabut sebelum waktunya"},
    {"no revocation status for the document time-stamp's TSA chain (offline): %s",
     "tidak ada status pencabutan untuk rantai TSA stempel waktu dokumen (luring): %1"},
    {"no revocation status for the document time-stamp's TSA chain: %s",
     "tidak ada status pencabutan untuk rantai TSA stempel waktu dokumen: %1"},
    {"the document time-stamp is not a TimeStampToken",
     "stempel waktu dokumen bukan TimeStampToken"},
    {"the time-stamped data cannot be read", "data yang dibubuhi stempel waktu tidak dapat dibaca"},
    {"the document time-stamp's imprint does not match the document",
     "imprint stempel waktu dokumen tidak cocok dengan dokumen"},
    {"the document time-stamp's signature or TSA chain does not verify (%s)",
     "tanda tangan atau rantai TSA stempel waktu dokumen tidak terverifikasi (%1)"},
    /* revocation (verify_rev.c): why a status is unknown */
    {"an OCSP response is not signed by the CA or its OCSP responder",
     "respons OCSP tidak ditandatangani oleh CA atau responder OCSP-nya"},
    {"an OCSP response has inconsistent times", "respons OCSP memiliki waktu yang tidak konsisten"},
    {"the fetched OCSP response is out of date", "respons OCSP yang diambil sudah kedaluwarsa"},
    {"the OCSP responder does not know the certificate",
     "responder OCSP tidak mengenal sertifikat tersebut"},
    {"a CRL is not signed by the issuer", "CRL tidak ditandatangani oleh penerbitnya"},
    {"a CRL has a bad thisUpdate", "CRL memiliki thisUpdate yang salah"},
    {"a CRL is expired or has inconsistent times",
     "CRL kedaluwarsa atau memiliki waktu yang tidak konsisten"},
    {"the OCSP responder %.100s did not answer", "responder OCSP %1 tidak menjawab"},
    {"the CRL at %.100s cannot be fetched", "CRL di %1 tidak dapat diambil"},
    {"no embedded revocation data (offline)", "tidak ada data pencabutan tertanam (luring)"},
    /* fetches declined or cut short (lib/cms fetch.c, netaddr.c) */
    {"%s at %s not fetched: %s", "%1 di %2 tidak diambil: %3"},
    {"%s at %s cut off: %s", "pengambilan %1 di %2 dihentikan: %3"},
    {"cannot reach %s at %s: %s", "%1 di %2 tidak dapat dihubungi: %3"},
    {"%s at %s answered HTTP %ld", "%1 di %2 menjawab HTTP %3"},
    {"%s at %s answered more than %zu bytes", "%1 di %2 menjawab lebih dari %3 bita"},
    {"only http and https URLs with a host are fetched",
     "hanya URL http dan https dengan nama host yang diambil"},
    {"the fetch time budget (%.1f s) is spent", "jatah waktu pengambilan (%1 detik) sudah habis"},
    {"the fetch time budget (%.1f s) ran out", "jatah waktu pengambilan (%1 detik) habis"},
    {"the fetch byte budget (%zu bytes) is spent", "jatah bita pengambilan (%1 bita) sudah habis"},
    {"the fetch byte budget (%zu bytes) ran out", "jatah bita pengambilan (%1 bita) habis"},
    {"unspecified address (%s)", "alamat tak tertentu (%1)"},
    {"'this network' address (0.0.0.0/8) (%s)", "alamat 'jaringan ini' (0.0.0.0/8) (%1)"},
    {"private address (RFC 1918) (%s)", "alamat privat (RFC 1918) (%1)"},
    {"shared address space (CGNAT, 100.64.0.0/10) (%s)",
     "ruang alamat bersama (CGNAT, 100.64.0.0/10) (%1)"},
    {"loopback address (%s)", "alamat loopback (%1)"},
    {"link-local address (%s)", "alamat link-local (%1)"},
    {"IETF protocol assignment (192.0.0.0/24) (%s)", "alokasi protokol IETF (192.0.0.0/24) (%1)"},
    {"IETF protocol assignment (2001::/23) (%s)", "alokasi protokol IETF (2001::/23) (%1)"},
    {"documentation address (%s)", "alamat dokumentasi (%1)"},
    {"reserved address (6to4 relay anycast) (%s)", "alamat cadangan (6to4 relay anycast) (%1)"},
    {"benchmarking address (198.18.0.0/15) (%s)", "alamat uji kinerja (198.18.0.0/15) (%1)"},
    {"multicast address (%s)", "alamat multicast (%1)"},
    {"broadcast address (%s)", "alamat broadcast (%1)"},
    {"reserved address (240.0.0.0/4) (%s)", "alamat cadangan (240.0.0.0/4) (%1)"},
    {"private address (local-use NAT64) (%s)", "alamat privat (NAT64 penggunaan lokal) (%1)"},
    {"reserved address (discard-only, 100::/64) (%s)",
     "alamat cadangan (discard-only, 100::/64) (%1)"},
    {"unique local address (fc00::/7) (%s)", "alamat lokal unik (fc00::/7) (%1)"},
    {"site-local address (fec0::/10, deprecated) (%s)",
     "alamat site-local (fec0::/10, usang) (%1)"},
    {"reserved address (outside 2000::/3) (%s)", "alamat cadangan (di luar 2000::/3) (%1)"},
    {"not an IP address (%s)", "bukan alamat IP (%1)"},
    {"no revocation data embedded or obtainable online",
     "tidak ada data pencabutan yang tertanam maupun yang dapat diperoleh secara daring"},
};

#define MAX_VALUES 9
#define MAX_DEPTH 3

/* Match msg against the printf format f; the values go to v[k..]. The number of values or -1. */
static int match(const char *f, const char *m, const char **v, size_t *vl, int k)
{
    while (*f) {
        if (f[0] == '%' && f[1] == '%') {
            if (*m != '%')
                return -1;
            f += 2;
            m++;
        } else if (f[0] == '%') {
            const char *q = f + 1;
            size_t l, n = strlen(m);
            int num;
            while (*q && strchr(".0123456789zl", *q) != NULL)
                q++;
            if (*q == '\0' || k >= MAX_VALUES)
                return -1;
            num = *q != 's';
            f = q + 1;
            for (l = num ? 1 : 0; l <= n; l++) {
                int r;
                if (num && strchr("0123456789.-", m[l - 1]) == NULL)
                    break;
                v[k] = m;
                vl[k] = l;
                if ((r = match(f, m + l, v, vl, k + 1)) >= 0)
                    return r;
            }
            return -1;
        } else {
            if (*f != *m)
                return -1;
            f++;
            m++;
        }
    }
    return *m ? -1 : k;
}

static void put(char *out, size_t cap, size_t *j, const char *s, size_t n)
{
    if (*j >= cap)
        return;
    if (n > cap - 1 - *j)
        n = cap - 1 - *j;
    memcpy(out + *j, s, n);
    *j += n;
    out[*j] = '\0';
}

static int translate(const char *en, char *out, size_t cap, int depth)
{
    const char *v[MAX_VALUES];
    size_t vl[MAX_VALUES], i, j = 0;
    int n = -1;

    const tr *best = NULL;

    if (depth > MAX_DEPTH)
        return -1;
    /* The most specific format wins: "%s changed (object %u)" also matches
     * "content of page 1 changed (object 4)". */
    for (i = 0; i < sizeof(TR) / sizeof(TR[0]); i++) {
        const char *tv[MAX_VALUES];
        size_t tl[MAX_VALUES];
        int tn;
        if ((best == NULL || strlen(TR[i].en) > strlen(best->en)) &&
            (tn = match(TR[i].en, en, tv, tl, 0)) >= 0) {
            best = &TR[i];
            n = tn;
            memcpy(v, tv, sizeof(v));
            memcpy(vl, tl, sizeof(vl));
        }
    }
    if (best == NULL)
        return -1;
    out[0] = '\0';
    for (const char *p = best->id; *p; p++) {
        if (p[0] == '%' && p[1] >= '1' && p[1] <= '9' && p[1] - '1' < n) {
            char val[512], tv[512];
            size_t k = (size_t)(p[1] - '1'), l = vl[k] < sizeof(val) - 1 ? vl[k] : sizeof(val) - 1;
            memcpy(val, v[k], l);
            val[l] = '\0';
            if (translate(val, tv, sizeof(tv), depth + 1) == 0)
                put(out, cap, &j, tv, strlen(tv));
            else
                put(out, cap, &j, val, l);
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            put(out, cap, &j, "%", 1);
            p++;
        } else {
            put(out, cap, &j, p, 1);
        }
    }
    return 0;
}

const char *vfy_text_id(const char *en, char *out, size_t cap)
{
    if (cap == 0)
        return en;
    if (translate(en, out, cap, 0) != 0)
        snprintf(out, cap, "%s", en);
    return out;
}
