/*
 * mhd_lazy.c - libmicrohttpd's functions as http.c calls them, loaded on
 * first use (util/dl.h): only `sertel serve` maps libmicrohttpd and GnuTLS.
 * Each function has libmicrohttpd's own name and prototype; the first
 * call loads it by its soname (SERTEL_SONAME_MHD, found by CMake), every
 * call then goes to the real function. When it cannot be loaded the calls
 * fail as libmicrohttpd does when out of memory (NULL, MHD_NO) and
 * http_mhd_load says why. MHD_start_daemon's option list is passed on as a
 * va_list (MHD_start_daemon_va); MHD_get_connection_info is called with
 * info types that take no further argument.
 */
#include <microhttpd.h>
#include <stdarg.h>

#include "http/http.h"
#include "util/dl.h"

#ifndef SERTEL_SONAME_MHD
#define SERTEL_SONAME_MHD "libmicrohttpd.so.12"
#endif

enum {
    F_ADD_RESPONSE_HEADER,
    F_CREATE_POST_PROCESSOR,
    F_CREATE_RESPONSE_FROM_BUFFER,
    F_CREATE_RESPONSE_WITH_FREE,
    F_DESTROY_POST_PROCESSOR,
    F_DESTROY_RESPONSE,
    F_GET_CONNECTION_INFO,
    F_GET_CONNECTION_VALUES,
    F_HTTP_UNESCAPE,
    F_IS_FEATURE_SUPPORTED,
    F_LOOKUP_CONNECTION_VALUE,
    F_POST_PROCESS,
    F_QUEUE_RESPONSE,
    F_QUIESCE_DAEMON,
    F_RESUME_CONNECTION,
    F_START_DAEMON_VA,
    F_STOP_DAEMON,
    F_SUSPEND_CONNECTION,
    F_COUNT
};

static const char *const names[F_COUNT] = {
    "MHD_add_response_header",
    "MHD_create_post_processor",
    "MHD_create_response_from_buffer",
    "MHD_create_response_from_buffer_with_free_callback_cls",
    "MHD_destroy_post_processor",
    "MHD_destroy_response",
    "MHD_get_connection_info",
    "MHD_get_connection_values",
    "MHD_http_unescape",
    "MHD_is_feature_supported",
    "MHD_lookup_connection_value",
    "MHD_post_process",
    "MHD_queue_response",
    "MHD_quiesce_daemon",
    "MHD_resume_connection",
    "MHD_start_daemon_va",
    "MHD_stop_daemon",
    "MHD_suspend_connection",
};
static void *fns[F_COUNT];
static dl_lib lib = DL_LIB_INIT(SERTEL_SONAME_MHD, "libmicrohttpd12", names, fns);

int http_mhd_load(sertel_err *err)
{
    return dl_load(&lib, err);
}

#define LOADED() (dl_load(&lib, NULL) == SERTEL_OK)
#define FN(i, type) ((type)fns[i])

enum MHD_Result MHD_add_response_header(struct MHD_Response *response, const char *header,
                                        const char *content)
{
    return LOADED() ? FN(F_ADD_RESPONSE_HEADER,
                         enum MHD_Result(*)(struct MHD_Response *, const char *, const char *))(
                          response, header, content)
                    : MHD_NO;
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
                                                     enum MHD_ResponseMemoryMode mode)
{
    return LOADED() ? FN(F_CREATE_RESPONSE_FROM_BUFFER,
                         struct MHD_Response *
                             (*)(size_t, void *, enum MHD_ResponseMemoryMode))(size, buffer, mode)
                    : NULL;
}

struct MHD_Response *MHD_create_response_from_buffer_with_free_callback_cls(
    size_t size, void *buffer, MHD_ContentReaderFreeCallback crfc, void *crfc_cls)
{
    return LOADED() ? FN(F_CREATE_RESPONSE_WITH_FREE,
                         struct MHD_Response * (*)(size_t, void *, MHD_ContentReaderFreeCallback,
                                                   void *))(size, buffer, crfc, crfc_cls)
                    : NULL;
}

struct MHD_PostProcessor *MHD_create_post_processor(struct MHD_Connection *connection,
                                                    size_t buffer_size, MHD_PostDataIterator iter,
                                                    void *iter_cls)
{
    return LOADED() ? FN(F_CREATE_POST_PROCESSOR,
                         struct MHD_PostProcessor *
                             (*)(struct MHD_Connection *, size_t, MHD_PostDataIterator, void *))(
                          connection, buffer_size, iter, iter_cls)
                    : NULL;
}

enum MHD_Result MHD_post_process(struct MHD_PostProcessor *pp, const char *post_data,
                                 size_t post_data_len)
{
    return LOADED()
               ? FN(F_POST_PROCESS, enum MHD_Result(*)(struct MHD_PostProcessor *, const char *,
                                                       size_t))(pp, post_data, post_data_len)
               : MHD_NO;
}

enum MHD_Result MHD_destroy_post_processor(struct MHD_PostProcessor *pp)
{
    return LOADED()
               ? FN(F_DESTROY_POST_PROCESSOR, enum MHD_Result(*)(struct MHD_PostProcessor *))(pp)
               : MHD_NO;
}

void MHD_destroy_response(struct MHD_Response *response)
{
    if (LOADED())
        FN(F_DESTROY_RESPONSE, void (*)(struct MHD_Response *))(response);
}

const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *connection,
                                                        enum MHD_ConnectionInfoType info_type, ...)
{
    typedef const union MHD_ConnectionInfo *(*info_fn)(struct MHD_Connection *,
                                                       enum MHD_ConnectionInfoType, ...);

    return LOADED() ? FN(F_GET_CONNECTION_INFO, info_fn)(connection, info_type) : NULL;
}

int MHD_get_connection_values(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                              MHD_KeyValueIterator iterator, void *iterator_cls)
{
    return LOADED() ? FN(F_GET_CONNECTION_VALUES,
                         int (*)(struct MHD_Connection *, enum MHD_ValueKind, MHD_KeyValueIterator,
                                 void *))(connection, kind, iterator, iterator_cls)
                    : -1;
}

size_t MHD_http_unescape(char *val)
{
    return LOADED() ? FN(F_HTTP_UNESCAPE, size_t(*)(char *))(val) : 0;
}

enum MHD_Result MHD_is_feature_supported(enum MHD_FEATURE feature)
{
    return LOADED() ? FN(F_IS_FEATURE_SUPPORTED, enum MHD_Result(*)(enum MHD_FEATURE))(feature)
                    : MHD_NO;
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection, enum MHD_ValueKind kind,
                                        const char *key)
{
    return LOADED() ? FN(F_LOOKUP_CONNECTION_VALUE,
                         const char *(*)(struct MHD_Connection *, enum MHD_ValueKind,
                                         const char *))(connection, kind, key)
                    : NULL;
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
                                   struct MHD_Response *response)
{
    return LOADED() ? FN(F_QUEUE_RESPONSE, enum MHD_Result(*)(struct MHD_Connection *, unsigned int,
                                                              struct MHD_Response *))(
                          connection, status_code, response)
                    : MHD_NO;
}

MHD_socket MHD_quiesce_daemon(struct MHD_Daemon *daemon)
{
    return LOADED() ? FN(F_QUIESCE_DAEMON, MHD_socket(*)(struct MHD_Daemon *))(daemon)
                    : MHD_INVALID_SOCKET;
}

struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
    typedef struct MHD_Daemon *(*start_fn)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
                                           MHD_AccessHandlerCallback, void *, va_list);
    struct MHD_Daemon *d;
    va_list ap;

    if (!LOADED())
        return NULL;
    va_start(ap, dh_cls);
    d = FN(F_START_DAEMON_VA, start_fn)(flags, port, apc, apc_cls, dh, dh_cls, ap);
    va_end(ap);
    return d;
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
    if (LOADED())
        FN(F_STOP_DAEMON, void (*)(struct MHD_Daemon *))(daemon);
}

void MHD_suspend_connection(struct MHD_Connection *connection)
{
    if (LOADED())
        FN(F_SUSPEND_CONNECTION, void (*)(struct MHD_Connection *))(connection);
}

void MHD_resume_connection(struct MHD_Connection *connection)
{
    if (LOADED())
        FN(F_RESUME_CONNECTION, void (*)(struct MHD_Connection *))(connection);
}
