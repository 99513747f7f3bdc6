// See ferry_portable.h for what this target is for.
#define _GNU_SOURCE
#include "ferry_portable.h"
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

// ---- arguments -------------------------------------------------------------------------------
// glibc calls every ELF constructor with (argc, argv, envp) (csu/init-first.c, _dl_init), for the
// executable and for shared objects alike. The kernel's argv strings live for the whole process,
// so keeping the pointer is enough.
static int captured_argc;
static char **captured_argv;

__attribute__((constructor)) static void ferry_capture_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc > 0 && argv != NULL) {
        captured_argc = argc;
        captured_argv = argv;
    }
    // Without /proc, libdispatch's thread-pool monitor traps (SIGILL) at a random moment once
    // Swift's concurrency runtime has threads, which it has before an async main runs: the
    // check in FerryEntry could lose that race and die with signal 4 instead of exit 1 (seen in
    // a clean-clone run). Here no thread exists yet. FerryEntry keeps the check for a C library
    // that does not run constructors.
    if (access("/proc/self/stat", R_OK) != 0) {
        static const char message[] = "ferry: error: /proc is not mounted; ferry needs it (the Swift runtime's thread pool reads /proc/<tid>/stat). Mount it with: mount -t proc proc /proc\n";
        ssize_t ignored = write(2, message, sizeof message - 1);
        (void)ignored;
        _exit(1);
    }
}

int ferry_captured_argc(void) { return captured_argc; }

const char *ferry_captured_arg(int index) {
    if (index < 0 || index >= captured_argc || captured_argv == NULL) return NULL;
    return captured_argv[index];
}

// ---- build stamp -----------------------------------------------------------------------------
#ifndef FERRY_GIT_COMMIT
#define FERRY_GIT_COMMIT "unknown"
#endif

const char *ferry_build_commit(void) { return FERRY_GIT_COMMIT; }

// ---- glibc symbol versions -------------------------------------------------------------------
// The static Swift stdlib and Foundation archives were built against a newer glibc than RHEL 9's
// 2.34: they call hypot/hypotf, which glibc 2.35 re-versioned (hypot@GLIBC_2.35), and the static
// libstdc++ calls arc4random, new in glibc 2.36. The release link passes
//   --wrap=hypot --wrap=hypotf --wrap=arc4random
// so those calls land here instead (a build without --wrap never calls these).
//
// hypot and hypotf are computed with hypotl, which every glibc has at its first version: for
// double and float arguments the extended-precision result rounds to the same answer. Binding to
// hypot@GLIBC_2.2.5 with .symver does not work here, because --wrap rewrites that reference too
// and the wrapper ends up calling itself.
double __wrap_hypot(double x, double y) { return (double)hypotl(x, y); }
float __wrap_hypotf(float x, float y) { return (float)hypotl(x, y); }

// arc4random is served from getrandom(2), which is what glibc's own implementation uses.
uint32_t __wrap_arc4random(void) {
    uint32_t value = 0;
    unsigned char *bytes = (unsigned char *)&value;
    size_t filled = 0;
    while (filled < sizeof value) {
        ssize_t got = getrandom(bytes + filled, sizeof value - filled, 0);
        if (got > 0) {
            filled += (size_t)got;
        } else if (got < 0 && errno != EINTR) {
            // getrandom only fails like this on kernels older than 3.17, which glibc 2.34 does
            // not support either; glibc's arc4random aborts in the same case.
            __builtin_trap();
        }
    }
    return value;
}
