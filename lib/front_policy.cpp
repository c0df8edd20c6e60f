#include "front_policy.hpp"

#include "exit_codes.hpp"
#include "log.hpp"

#include <unistd.h>
#include <utility>

namespace mta::login {

void bye(FrontConnection& c, int code)
{
    c.finish();
    _exit(code);
}

void start_tls_or_exit(FrontConnection& c, tls::Context const& ctx)
{
    if (auto st = c.start_tls(ctx); !st)
        log::fatal(kExitOk, "TLS handshake failed: " + tls_error_text(st.error()));
}

FrontSetup set_up_or_exit(FrontConnection& c, bool implicit_tls)
{
    auto setup = set_up_front();
    if (!setup)
        log::fatal(kExitTemp, "unable to find the install root", setup.error());
    if (!setup->tls_problem.empty())
        log::warn("no TLS: " + setup->tls_problem);
    if (implicit_tls) {
        if (!setup->tls)
            log::fatal(kExitTemp, "no usable control/tls/cert.pem for implicit TLS");
        start_tls_or_exit(c, *setup->tls);
    }
    return std::move(*setup);
}

} // namespace mta::login
