// Stops the test process when its own code closes a descriptor that is not open.
//
// Why: a second `close()` of a number usually fails harmlessly (EBADF), but when another thread
// opened that number meanwhile it closes that thread's file or socket. In a test process running
// many servers at once, that is a descriptor some event loop watches, and libuv aborts without a
// word the next time it updates its epoll set. The harmless failures are the only trace such a
// defect leaves that does not depend on timing, so each one ends the run here, with the crash
// report naming the closing code (crash_report.c).
//
// Only calls from this executable (the server's code and the tests', linked statically) are
// checked: libraries close what they opened themselves, and CPython's `os.closerange` or
// Foundation may close numbers that are not open on purpose. Descriptors below 0 are left alone
// (a failed `open` or `socket` that a cleanup closes anyway). Not under the sanitizers, which
// intercept `close` themselves.
#if !defined(__has_feature)
#define __has_feature(feature) 0
#endif
#if !__has_feature(address_sanitizer) && !__has_feature(thread_sanitizer)
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int (*system_close)(int);

/// Whether `address` lies in this executable (the image this function is in).
static int in_this_executable(void *address) {
    Dl_info caller, self;
    return dladdr(address, &caller) && dladdr((void *)in_this_executable, &self) &&
           caller.dli_fbase == self.dli_fbase;
}

int close(int descriptor) {
    if (!system_close) system_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    int status = system_close(descriptor);
    if (status != 0 && errno == EBADF && descriptor >= 0 && in_this_executable(__builtin_return_address(0))) {
        char line[160];
        snprintf(line, sizeof line,
                 "close-check: close(%d) of a descriptor that is not open: closed twice? (see the crash report)\n",
                 descriptor);
        (void)!write(STDERR_FILENO, line, strlen(line));
        abort();
    }
    return status;
}
#endif
