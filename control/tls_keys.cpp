#include "tls_keys.hpp"

#include "fd.hpp"

#include <cstdio>
#include <memory>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace admin {

namespace {

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
    void operator()(X509* c) const { X509_free(c); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;

std::string bio_text(BIO* bio)
{
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(len));
}

bool add_extension(X509* cert, int nid, std::string const& value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext)
        return false;
    bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

CertPtr build_certificate(EVP_PKEY* key, std::string const& hostname)
{
    CertPtr cert(X509_new());
    if (!cert || X509_set_version(cert.get(), 2) != 1)
        return nullptr;
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(time(nullptr)));
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
    X509_set_pubkey(cert.get(), key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    auto const* cn = reinterpret_cast<const unsigned char*>(hostname.c_str());
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) != 1)
        return nullptr;
    X509_set_issuer_name(cert.get(), name);
    if (!add_extension(cert.get(), NID_subject_alt_name, "DNS:" + hostname)
        || !add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE")
        || !add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment")
        || !add_extension(cert.get(), NID_ext_key_usage, "serverAuth"))
        return nullptr;
    if (X509_sign(cert.get(), key, EVP_sha256()) <= 0)
        return nullptr;
    return cert;
}

} // namespace

mta::Status make_self_signed(
    std::string const& hostname, std::string const& cert_path, std::string const& key_path)
{
    KeyPtr key(EVP_RSA_gen(2048));
    if (!key)
        return mta::Error::plain("unable to generate an RSA key");
    CertPtr cert = build_certificate(key.get(), hostname);
    if (!cert)
        return mta::Error::plain("unable to build the certificate");
    BioPtr key_pem(BIO_new(BIO_s_mem()));
    BioPtr cert_pem(BIO_new(BIO_s_mem()));
    if (!key_pem || !cert_pem
        || PEM_write_bio_PrivateKey(key_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)
            != 1
        || PEM_write_bio_X509(cert_pem.get(), cert.get()) != 1)
        return mta::Error::plain("unable to encode the key and certificate as PEM");
    if (auto st = mta::write_file_atomic(key_path, bio_text(key_pem.get()), 0600); !st)
        return st;
    return mta::write_file_atomic(cert_path, bio_text(cert_pem.get()), 0644);
}

namespace {

// The PEM text of a file in a memory BIO, or nullptr with the problem recorded.
BioPtr read_pem(std::string const& path, std::vector<std::string>& problems)
{
    auto text = mta::read_file(path, 1 << 20);
    if (!text) {
        problems.push_back(path + ": " + text.error().text());
        return nullptr;
    }
    // BIO_new_mem_buf does not copy: keep the text alive by copying it into the BIO.
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (bio && BIO_write(bio.get(), text->data(), static_cast<int>(text->size())) < 0)
        bio.reset();
    if (!bio)
        problems.push_back(path + ": out of memory");
    return bio;
}

CertPtr load_certificate(std::string const& path, std::vector<std::string>& problems)
{
    BioPtr bio = read_pem(path, problems);
    if (!bio)
        return nullptr;
    CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert)
        problems.push_back(path + ": not a PEM certificate");
    return cert;
}

KeyPtr load_key(std::string const& path, std::vector<std::string>& problems)
{
    BioPtr bio = read_pem(path, problems);
    if (!bio)
        return nullptr;
    KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key)
        problems.push_back(path + ": not a PEM private key (or it is encrypted)");
    return key;
}

} // namespace

std::vector<std::string> check_tls_pair(std::string const& cert_path, std::string const& key_path)
{
    std::vector<std::string> problems;
    CertPtr cert = load_certificate(cert_path, problems);
    KeyPtr key = load_key(key_path, problems);
    ERR_clear_error();
    if (cert) {
        if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) < 0)
            problems.push_back(cert_path + ": certificate has expired");
        if (X509_cmp_current_time(X509_get0_notBefore(cert.get())) > 0)
            problems.push_back(cert_path + ": certificate is not valid yet");
    }
    if (cert && key && X509_check_private_key(cert.get(), key.get()) != 1) {
        problems.push_back(key_path + ": key does not match the certificate " + cert_path);
        ERR_clear_error();
    }
    return problems;
}

} // namespace admin
