// A crash report for the test process, printed before the Swift backtracer's.
//
// Why: the backtracer unwinds by frame pointers, and glibc's `abort()`/`raise()` keep none, so a
// crash by abort (a Python fatal error, a Swift runtime error, a libuv assertion, glibc's heap
// checks) shows only `__pthread_kill_implementation` and "...": nothing says which code aborted.
// glibc's `backtrace()` unwinds through the unwind tables instead. Each frame is printed as
// `crash-frame: FILE +0xOFFSET`; scripts/run-tests.sh turns those into function names and lines.
//
// The handler prints, puts the previous handler (the Swift backtracer's) back and returns: the
// signal comes again (an abort's is pending, a fault repeats) and that handler runs as before.
// It is not async-signal-safe (dladdr, snprintf): acceptable for a process that is crashing.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const int crash_signals[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
enum { crash_signal_count = sizeof crash_signals / sizeof crash_signals[0] };
static struct sigaction previous[crash_signal_count];

static void say(const char *text) { (void)!write(STDERR_FILENO, text, strlen(text)); }

static void report(int signal_number) {
    for (int index = 0; index < crash_signal_count; index++) {
        if (crash_signals[index] == signal_number) sigaction(signal_number, &previous[index], NULL);
    }
    char thread_name[32] = "?";
    pthread_getname_np(pthread_self(), thread_name, sizeof thread_name);
    char line[1024];
    snprintf(line, sizeof line, "crash-report: signal %d (%s) on thread \"%s\"\n",
             signal_number, strsignal(signal_number), thread_name);
    say(line);
    void *frames[64];
    int count = backtrace(frames, 64);
    for (int index = 1; index < count; index++) {  // 0 is this handler
        Dl_info info;
        // A return address points after its call: one byte back lies inside the calling line.
        void *address = (char *)frames[index] - (index > 1 ? 1 : 0);
        if (dladdr(address, &info) && info.dli_fname) {
            snprintf(line, sizeof line, "crash-frame: %s +0x%lx\n", info.dli_fname,
                     (unsigned long)((char *)address - (char *)info.dli_fbase));
        } else {
            snprintf(line, sizeof line, "crash-frame: ? %p\n", address);
        }
        say(line);
    }
}

__attribute__((constructor)) static void install_crash_report(void) {
    void *warm_up[1];
    backtrace(warm_up, 1);  // loads the unwinder now, not inside the handler
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = report;
    sigemptyset(&action.sa_mask);
    for (int index = 0; index < crash_signal_count; index++) {
        sigaction(crash_signals[index], &action, &previous[index]);
    }
}
