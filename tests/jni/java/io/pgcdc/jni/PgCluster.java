package io.pgcdc.jni;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A throwaway PostgreSQL cluster for the Java tests, through
 * tests/harness/pg-cluster.sh (the same script the C tests use: port and
 * directory on stdout; its watchdog stops the cluster if this JVM dies), and
 * psql for SQL.
 */
final class PgCluster implements AutoCloseable {
    final int port;
    private final String dir;
    private final String script;

    private PgCluster(String script, int port, String dir) {
        this.script = script;
        this.port = port;
        this.dir = dir;
    }

    static int major() {
        String v = System.getenv("PGCDC_TEST_PG_VERSION");
        return v == null || v.isBlank() ? 15 : Integer.parseInt(v.trim());
    }

    static PgCluster start(int major) throws IOException, InterruptedException {
        String script = System.getProperty("pgcdc.pgCluster", "tests/harness/pg-cluster.sh");
        ProcessBuilder pb = new ProcessBuilder(script, "start", Integer.toString(major));
        pb.environment().put("PGCDC_PG_CLUSTER_OWNER", Long.toString(ProcessHandle.current().pid()));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        String out = run(pb).trim();
        String[] f = out.split("\\s+");
        if (f.length != 2) {
            throw new IOException("pg-cluster.sh start printed '" + out + "', not 'PORT DIR'");
        }
        return new PgCluster(script, Integer.parseInt(f[0]), f[1]);
    }

    /** Runs SQL with psql as the superuser; returns the unaligned, tuples-only output. */
    String sql(String db, String sql) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                "127.0.0.1", "-p", Integer.toString(port), "-U", "postgres", "-d", db, "-c", sql));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return run(pb).trim();
    }

    String url(String db) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + db;
    }

    private static String run(ProcessBuilder pb) throws IOException, InterruptedException {
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        int rc = p.waitFor();
        String s = out.toString(StandardCharsets.UTF_8);
        if (rc != 0) {
            throw new IOException(String.join(" ", pb.command().subList(0, 1)) + " failed (" + rc + "): " + s);
        }
        return s;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run(new ProcessBuilder(script, "stop", dir).redirectError(ProcessBuilder.Redirect.INHERIT));
    }
}
