// OpenSSL's SHA-512 (libcrypto): the one-shot digest API without EVP, so no provider is
// loaded and no configuration file is read. OpenSSL 3 marks it deprecated; it stays supported.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>
