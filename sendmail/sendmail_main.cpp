// sendmail - the sendmail command line that programs call, in front of inject (like
// qmail's sendmail wrapper). Also installed as bin/mailq (lists the queue) and
// bin/newaliases (explains that aliases need no rebuilding). See docs/man/sendmail.8.md.
// Exit codes: inject's own (sendmail replaces itself with it; with -bs smtpd's); 100 usage error,
// newaliases, or listing the queue without the right to read it; 111 a temporary failure.
#include "install_root.hpp"
#include "log.hpp"
#include "options.hpp"
#include "run.hpp"

#include "exit_codes.hpp"

#include <string>
#include <unistd.h>
#include <vector>

int main(int argc, char** argv)
{
    return mta::run_main("sendmail", [&]() -> int {
        auto const plan = sendmail::parse(sendmail::invoked_as(argc > 0 ? argv[0] : "sendmail"),
            std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + argc));
        if (plan.action == sendmail::Action::usage)
            sendmail::die_usage(plan.problem);
        auto root = mta::install_root();
        if (!root)
            mta::log::fatal(mta::kExitTemp, "unable to find the install root", root.error());
        if (::chdir(root->c_str()) == -1)
            mta::log::fatal(
                mta::kExitTemp, "unable to switch to " + *root, mta::Error::from_errno("chdir"));
        if (plan.action == sendmail::Action::newaliases)
            sendmail::die_newaliases(*root);
        if (plan.action == sendmail::Action::list_queue)
            sendmail::exec_queue_listing(*root);
        if (plan.action == sendmail::Action::smtp)
            sendmail::exec_smtpd(*root);
        sendmail::exec_inject(*root, plan);
    });
}
