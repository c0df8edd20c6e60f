// local - deliver one message to one local address by following its .qmail file (Maildir,
// mbox, program and forward lines), compatible with qmail-local. lspawn runs the same code
// (local/run.hpp) in a forked child as the recipient; this program is for everything else
// that runs local (vdeliver, tests, an administrator): see docs/man/local.8.md.
//
// Protocol with lspawn: exit 0 delivered (stdout "did F+W+P", "qp N" after a forward),
// 100 permanent failure, 111 temporary failure; the failure text is one line on stderr,
// with no program name in front (it becomes the bounce or log text).
#include "log.hpp"
#include "run.hpp"

int main(int argc, char** argv)
{
    return mta::run_main("local", [&] { return local::run(argc, argv); });
}
