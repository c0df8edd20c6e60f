// clean_link - send's side of the talk with clean, without blocking: requests are queued
// in order, written as the request pipe takes them, and each one-byte reply (clean answers
// in request order) is matched with the oldest request still waiting.
//
//     send::CleanLink clean(5, 6, 400);                   // request fd, reply fd, bound
//     if (clean.has_room(100))                            // a batch of 100 may start
//         clean.queue_request(send::CleanLink::todo(m));  // "todo/N\0", written if it fits
//     clean.add_poll(fds);  ppoll(...);
//     for (auto const& a : clean.after_poll(fds))         // in request order
//         if (a.reply == '+') ...;
//     if (clean.lost()) ...;                               // end of file, EPIPE, a failed read
//     for (auto const& r : clean.abandon()) ...;          // never to be answered
//
// A request is todo/N (a preprocessed message), foop/N (a finished message) or an orphan
// (mess_scan.hpp): on the wire an orphan is "foop/N" too; the kind only tells the caller
// what the reply means.
//
// What does not fit into the pipe stays in an output buffer; add_poll() asks for POLLOUT
// while it is not empty, and for POLLIN while a request waits for its reply. Nothing here
// logs or exits: the caller decides what an answer or a lost clean means. Once lost, the
// link takes no more requests; the ones it had wait for abandon().
#pragma once

#include "todo.hpp"

#include <cstddef>
#include <ctime>
#include <deque>
#include <poll.h>
#include <string>
#include <unordered_set>
#include <vector>

namespace send {

class CleanLink {
public:
    struct Request {
        enum class Kind { todo, foop, orphan } kind;
        Preprocessed message; // for foop and orphan only .id counts
    };
    struct Answer {
        Request request;
        char reply; // '+' done; anything else: clean could not
    };
    static Request todo(Preprocessed const& m) { return { Request::Kind::todo, m }; }
    static Request foop(unsigned long id)
    {
        return { Request::Kind::foop, { id, { false, false } } };
    }
    static Request orphan(unsigned long id)
    {
        return { Request::Kind::orphan, { id, { false, false } } };
    }
    // "todo/N" or "foop/N" (foop and orphan), without the NUL.
    static std::string text(Request const& r);

    // Makes both descriptors non-blocking. max_outstanding bounds has_room().
    CleanLink(int request_fd, int reply_fd, size_t max_outstanding);

    // Queues r and writes what the pipe takes now.
    void queue_request(Request const& r);
    // Requests queued and not answered yet (written or not).
    size_t outstanding() const { return m_waiting.size(); }
    // Whether batch more requests stay within the bound (the caller keeps to it).
    bool has_room(size_t batch) const { return outstanding() + batch <= m_max_outstanding; }
    // Whether a todo request for message id waits for its reply.
    bool todo_pending(unsigned long id) const { return m_todo_ids.count(id) != 0; }
    // Whether a foop/N request (foop or orphan) for message id waits for its reply.
    bool foop_pending(unsigned long id) const { return m_foop_ids.count(id) != 0; }
    bool lost() const { return m_lost; }

    void add_poll(std::vector<pollfd>& fds);
    // Writes and reads what poll reported; the requests answered, in order.
    std::vector<Answer> after_poll(std::vector<pollfd> const& fds);
    // Blocks (poll) until every request is answered, clean is lost or deadline passes;
    // the answers in order.
    std::vector<Answer> drain(time_t deadline);
    // The requests not answered (all of them once clean is lost), forgotten; at exit:
    // the link takes no more requests.
    std::vector<Request> abandon();

private:
    void write_some();
    void read_replies(std::vector<Answer>& answers);
    void set_lost();
    std::unordered_multiset<unsigned long>& ids_of(Request::Kind kind);

    int m_request_fd;
    int m_reply_fd;
    size_t m_max_outstanding;
    std::string m_out; // request bytes not written yet
    std::deque<Request> m_waiting; // in the order written to clean
    std::vector<Request> m_abandoned; // waiting when clean was lost
    std::unordered_multiset<unsigned long> m_todo_ids; // of the todo requests in m_waiting
    std::unordered_multiset<unsigned long> m_foop_ids; // of the foop and orphan requests
    bool m_lost = false;
    bool m_closed = false; // abandon() was called
    int m_poll_write = -1; // indices into the pollfd vector of the last add_poll()
    int m_poll_read = -1;
};

} // namespace send
