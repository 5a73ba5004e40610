// The system zlib (Debian: zlib1g-dev), for reading gzip-compressed FOCUS exports.
#include <zlib.h>
