// The crash report of the test process installs itself when the process starts (a constructor in
// crash_report.c); nothing is called from Swift.
#pragma once
