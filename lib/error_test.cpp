#include "error.hpp"
#include "exit_codes.hpp"

#include <catch2/catch.hpp>

using namespace mta;

namespace {

Result<int> parse_digit(char c)
{
    if (c < '0' || c > '9')
        return Error::plain("not a digit");
    return c - '0';
}

} // namespace

TEST_CASE("Result holds a value or an error", "[lib][error]")
{
    auto good = parse_digit('7');
    REQUIRE(good.ok());
    CHECK(*good == 7);
    auto bad = parse_digit('x');
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().text() == "not a digit");
}

TEST_CASE("Error text adds strerror for system errors", "[lib][error]")
{
    Error e { ENOENT, "unable to open control/me" };
    CHECK(e.text() == "unable to open control/me: No such file or directory");
    Status st = e;
    CHECK_FALSE(st.ok());
    CHECK(Status().ok());
}

TEST_CASE("is_temporary classifies errno", "[lib][error]")
{
    CHECK(is_temporary(ENOSPC));
    CHECK(is_temporary(ENOMEM));
    CHECK(is_temporary(ETIMEDOUT));
    CHECK_FALSE(is_temporary(ENOENT));
    CHECK_FALSE(is_temporary(EINVAL));
}

TEST_CASE("queue exit codes 11..40 are permanent", "[lib][error]")
{
    CHECK(queue_exit_is_permanent(kQueueAddressTooLong));
    CHECK(queue_exit_is_permanent(kQueuePermRefusal));
    CHECK_FALSE(queue_exit_is_permanent(kQueueWriteError));
    CHECK_FALSE(queue_exit_is_permanent(kQueueEnvelopeFormat));
    CHECK_FALSE(queue_exit_is_permanent(kExitTemp));
}
