# syscalls.awk - per-program counts from `strace -f -T -o FILE -e trace=...` output, per
# message.
#
#     awk -v n=MESSAGES -f syscalls.awk NAMES STRACE_OUTPUT...
#
# NAMES holds "pid name" lines for the processes strace attached to (their comm). In the
# strace files every line starts with the pid. A process is named after the program of
# its execve (basename), else after its parent (from the clone/fork/vfork results), else
# after NAMES. Prints one markdown row per program: processes started, fsync, fdatasync,
# sync_file_range, link/linkat, rename* per message, the milliseconds per message spent
# waiting in those three sync calls (strace -T), and a total row.
FILENAME == ARGV[1] {
    name[$1] = $2
    next
}
{
    pid = $1
    line = $0
    seen[pid] = 1
    if (match(line, /execve\("[^"]*"/) && line !~ /= -1 /) {
        path = substr(line, RSTART + 8, RLENGTH - 9)
        sub(/.*\//, "", path)
        name[pid] = path
        execd[pid] = 1
    }
    if (line ~ /(clone|clone3|fork|vfork)[( ]/ || line ~ /<\.\.\. (clone|clone3|fork|vfork) resumed>/) {
        if (match(line, /= [0-9]+( <[0-9.]+>)?$/)) {
            child = substr(line, RSTART + 2)
            sub(/ .*/, "", child)
            parent[child] = pid
        }
    }
    dur = 0
    if (match(line, /<[0-9]+\.[0-9]+>$/))
        dur = substr(line, RSTART + 1, RLENGTH - 2)
    if (match(line, /^[0-9]+ +[a-z_0-9]+\(/)) {
        call = substr(line, RSTART, RLENGTH - 1)
        sub(/^[0-9]+ +/, "", call)
        calls[pid, call]++ # counted at its start line
    } else if (match(line, /<\.\.\. [a-z_0-9]+ resumed>/)) {
        call = substr(line, RSTART + 5, RLENGTH - 14) # its time is on this line
    } else
        next
    if (call == "fsync" || call == "fdatasync" || call == "sync_file_range")
        synctime[pid] += dur
}
function resolve(p, depth) {
    if (p in execd || depth > 20)
        return name[p]
    if (p in parent)
        return resolve(parent[p], depth + 1)
    return p in name ? name[p] : "?"
}
END {
    split("fsync fdatasync sync_file_range link linkat rename renameat renameat2", want, " ")
    for (p in seen) {
        prog = resolve(p, 0)
        progs[prog] = 1
        if (p in execd)
            started[prog]++
        for (i in want)
            count[prog, want[i]] += calls[p, want[i]]
        wait_s[prog] += synctime[p]
    }
    for (prog in progs) {
        links = count[prog, "link"] + count[prog, "linkat"]
        renames = count[prog, "rename"] + count[prog, "renameat"] + count[prog, "renameat2"]
        total["s"] += started[prog]
        total["f"] += count[prog, "fsync"]
        total["d"] += count[prog, "fdatasync"]
        total["r"] += count[prog, "sync_file_range"]
        total["l"] += links
        total["n"] += renames
        total["w"] += wait_s[prog]
        printf "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", prog, started[prog] / n,
            count[prog, "fsync"] / n, count[prog, "fdatasync"] / n,
            count[prog, "sync_file_range"] / n, links / n, renames / n,
            wait_s[prog] * 1000 / n | "sort"
    }
    close("sort")
    printf "| **total** | **%.2f** | **%.2f** | **%.2f** | **%.2f** | **%.2f** | **%.2f** | **%.2f** |\n",
        total["s"] / n, total["f"] / n, total["d"] / n, total["r"] / n, total["l"] / n,
        total["n"] / n, total["w"] * 1000 / n
}
