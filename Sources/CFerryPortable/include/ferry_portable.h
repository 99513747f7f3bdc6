// What a portable ferry binary needs from C, in one small target (issue 14):
//  - the program's arguments as the kernel passed them, captured before Swift starts, because the
//    Swift runtime on Linux reads them from /proc/self/cmdline, which a minimal chroot lacks;
//  - the build stamp (git commit) that scripts/build-release passes with -Xcc -DFERRY_GIT_COMMIT=…;
//  - glibc symbol-version shims (see ferry_portable.c), linked in only when the release link asks
//    for them with --wrap.
// Used by FerryCLI only.
#ifndef FERRY_PORTABLE_H
#define FERRY_PORTABLE_H
#include <stdint.h>

/// The argument count glibc passed to the program's constructors, or 0 when none was captured
/// (a C library that does not pass argc/argv to ELF constructors).
int ferry_captured_argc(void);

/// Argument `index` (0 is the program name) as the raw bytes the kernel passed, NUL-terminated;
/// NULL when out of range or nothing was captured.
const char *ferry_captured_arg(int index);

/// The git commit the binary was built from, or "unknown" for a build without the stamp.
const char *ferry_build_commit(void);

/// The replacements the release link puts in place of glibc's hypot, hypotf and arc4random
/// (`--wrap`); declared so a test can check them in any build.
double __wrap_hypot(double x, double y);
float __wrap_hypotf(float x, float y);
uint32_t __wrap_arc4random(void);
#endif
