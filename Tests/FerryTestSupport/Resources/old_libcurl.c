/* An LD_PRELOAD shim that makes this machine's libcurl answer like RHEL 9's 7.76.1 for the
 * options ferry uses that are newer than that: CURLOPT_PROTOCOLS_STR and
 * CURLOPT_REDIR_PROTOCOLS_STR (7.85) and CURLOPT_CAINFO_BLOB (7.77) get CURLE_UNKNOWN_OPTION.
 * Every other option goes to the real curl_easy_setopt. The options ferry falls back to are
 * logged, one line each, to the file named by FERRY_OLD_CURL_LOG:
 *   refused PROTOCOLS_STR | refused REDIR_PROTOCOLS_STR | refused CAINFO_BLOB
 *   PROTOCOLS <bitmask> | REDIR_PROTOCOLS <bitmask> | CAINFO <path>
 * Built by the test with `cc -shared -fPIC -o old_libcurl.so old_libcurl.c -ldl`.
 */
#define _GNU_SOURCE
#define CURL_DISABLE_DEPRECATION 1
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>

typedef CURLcode (*setopt_fn)(CURL *, CURLoption, ...);
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void note(const char *format, ...) {
    const char *path = getenv("FERRY_OLD_CURL_LOG");
    if (path == NULL) return;
    pthread_mutex_lock(&log_lock);
    FILE *file = fopen(path, "a");
    if (file != NULL) {
        va_list args;
        va_start(args, format);
        vfprintf(file, format, args);
        va_end(args);
        fputc('\n', file);
        fclose(file);
    }
    pthread_mutex_unlock(&log_lock);
}

/* Numeric values from curl.h: 7.76's headers lack the first three names. */
enum { OPT_PROTOCOLS_STR = 10318, OPT_REDIR_PROTOCOLS_STR = 10319, OPT_CAINFO_BLOB = 40309 };

CURLcode curl_easy_setopt(CURL *handle, CURLoption option, ...) {
    static setopt_fn real;
    if (real == NULL) real = (setopt_fn)dlsym(RTLD_NEXT, "curl_easy_setopt");
    va_list args;
    va_start(args, option);
    /* Every libcurl option argument is a long, a pointer or a curl_off_t: one 8-byte slot on
     * the 64-bit targets this runs on. */
    void *value = va_arg(args, void *);
    va_end(args);
    switch ((int)option) {
    case OPT_PROTOCOLS_STR: note("refused PROTOCOLS_STR"); return CURLE_UNKNOWN_OPTION;
    case OPT_REDIR_PROTOCOLS_STR: note("refused REDIR_PROTOCOLS_STR"); return CURLE_UNKNOWN_OPTION;
    case OPT_CAINFO_BLOB: note("refused CAINFO_BLOB"); return CURLE_UNKNOWN_OPTION;
    case CURLOPT_PROTOCOLS: note("PROTOCOLS %ld", (long)value); break;
    case CURLOPT_REDIR_PROTOCOLS: note("REDIR_PROTOCOLS %ld", (long)value); break;
    case CURLOPT_CAINFO: note("CAINFO %s", value ? (const char *)value : "(null)"); break;
    default: break;
    }
    return real(handle, option, value);
}
