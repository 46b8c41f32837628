#ifndef CLIBUV_SHIM_H
#define CLIBUV_SHIM_H
/* The one header through which Swift sees libuv (Debian: libuv1-dev, 1.44).
   Only the UVLoop module imports it; everything else talks to UVLoop. */
#include <uv.h>
#include <sys/socket.h>
#include <sys/sendfile.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#endif
