package io.pgcdc.nifi;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway PostgreSQL cluster for the Java tests, through tests/harness/pg-cluster.sh (the same
 * script the C harness uses): its watchdog stops the server if this JVM dies. SQL runs through psql.
 */
final class PgCluster implements AutoCloseable {
    final int major;
    final int port;
    final String dir;
    final Path bindir;
    private final Path script;

    private PgCluster(final int major, final int port, final String dir, final Path bindir, final Path script) {
        this.major = major;
        this.port = port;
        this.dir = dir;
        this.bindir = bindir;
        this.script = script;
    }

    static String run(final List<String> cmd, final String stdin) throws IOException, InterruptedException {
        final ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("PGCDC_PG_CLUSTER_OWNER", Long.toString(ProcessHandle.current().pid()));
        pb.redirectErrorStream(false);
        final Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        final byte[] out = p.getInputStream().readAllBytes();
        final byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + cmd);
        }
        if (p.exitValue() != 0) {
            throw new IOException(cmd.get(0) + " failed (exit " + p.exitValue() + "): "
                    + new String(err, StandardCharsets.UTF_8) + new String(out, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    static PgCluster start() throws IOException, InterruptedException {
        final int major = Integer.parseInt(System.getenv().getOrDefault("PGCDC_TEST_PG_VERSION", "15"));
        final Path script = Path.of(System.getenv("PGCDC_SOURCE_ROOT"), "tests", "harness", "pg-cluster.sh");
        final String[] portDir = run(List.of(script.toString(), "start", Integer.toString(major)), null).trim().split("\\s+");
        final Path bindir = Path.of(run(List.of(script.toString(), "bindir", Integer.toString(major)), null).trim());
        return new PgCluster(major, Integer.parseInt(portDir[0]), portDir[1], bindir, script);
    }

    /** Runs SQL as the superuser; returns psql's unaligned, tuples-only output. */
    String sql(final String db, final String sql) throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>(List.of(psql(), "-X", "-q", "-At",
                "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", "-d", db));
        return run(cmd, sql).strip();
    }

    /* The server's own psql, else the system's (the npm server builds have none; any psql 12+ will do
     * for plain SQL on the versions tested). */
    private String psql() {
        final Path own = bindir.resolve("psql");
        if (java.nio.file.Files.isExecutable(own)) {
            return own.toString();
        }
        for (final String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (java.nio.file.Files.isExecutable(Path.of(dir, "psql"))) {
                return Path.of(dir, "psql").toString();
            }
        }
        return "/usr/lib/postgresql/15/bin/psql";
    }

    /** A server restart as clients see it: every connection ends, then the same port answers again. */
    void restart() throws IOException, InterruptedException {
        run(List.of(script.toString(), "restart", dir, "0"), null);
    }

    @Override
    public void close() throws IOException {
        try {
            run(List.of(script.toString(), "stop", dir), null);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the cluster", e);
        }
    }
}
