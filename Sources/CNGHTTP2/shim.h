// nghttp2 (Debian's libnghttp2-dev), called only by the HTTP2 module.
#include <nghttp2/nghttp2.h>
