// Typed wrappers for libcurl's variadic calls, which Swift cannot call directly.
// One wrapper per argument kind; every other libcurl function is used as declared in curl.h.
#ifndef FERRY_CCURL_SHIM_H
#define FERRY_CCURL_SHIM_H
// The bitmask protocol options are deprecated since 7.85 but are the only ones older libcurls
// (RHEL 9's 7.76, Ubuntu 22.04's 7.81) know; ferry falls back to them (CurlEasy.restrictProtocols).
#define CURL_DISABLE_DEPRECATION 1
#include <curl/curl.h>

static inline CURLcode ferry_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode ferry_curl_setopt_write(CURL *h, size_t (*f)(char *, size_t, size_t, void *)) {
    return curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, f);
}
static inline CURLcode ferry_curl_setopt_header(CURL *h, size_t (*f)(char *, size_t, size_t, void *)) {
    return curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, f);
}
static inline CURLcode ferry_curl_setopt_read(CURL *h, size_t (*f)(char *, size_t, size_t, void *)) {
    return curl_easy_setopt(h, CURLOPT_READFUNCTION, f);
}
static inline CURLcode ferry_curl_setopt_seek(CURL *h, int (*f)(void *, curl_off_t, int)) {
    return curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, f);
}
static inline CURLcode ferry_curl_setopt_xferinfo(CURL *h, int (*f)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t)) {
    return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, f);
}
// Sets a blob option (CURLOPT_CAINFO_BLOB); libcurl copies the bytes.
static inline CURLcode ferry_curl_setopt_blob(CURL *h, CURLoption o, const void *data, size_t len) {
    struct curl_blob blob = { (void *)data, len, CURL_BLOB_COPY };
    return curl_easy_setopt(h, o, &blob);
}
static inline CURLcode ferry_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode ferry_curl_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }

// Values Swift cannot import because they are macros built from casts.
static const size_t ferry_curl_writefunc_pause = CURL_WRITEFUNC_PAUSE;
static const size_t ferry_curl_readfunc_abort = CURL_READFUNC_ABORT;
// curl_version_info's age argument: the newest layout these headers know; an older libcurl
// fills in the fields it has (curl_version_info_data only grows at the end).
static const long ferry_curlproto_http_https = CURLPROTO_HTTP | CURLPROTO_HTTPS;
static const CURLversion ferry_curlversion_now = CURLVERSION_NOW;
#endif
