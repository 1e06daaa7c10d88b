package io.pgcdc.nifi;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Run in a child JVM by NarLayoutTest: loads the JNI library as the processors do (through a class of
 * io.pgcdc.jni), uses it, and prints where libpq was mapped from.
 */
public final class NativeLoadProbe {
    private NativeLoadProbe() {
    }

    public static void main(final String[] args) throws Exception {
        try (io.pgcdc.jni.ConnectorConfig cfg = new io.pgcdc.jni.ConnectorConfig()) {
            cfg.set("PostgreSQL Connection URL", "jdbc:postgresql://127.0.0.1:5432/appdb?sslmode=require");
        }
        for (final String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            if (line.contains("libpq.so") || line.contains("libprotobuf-c")) {
                System.out.println("MAPPED " + line.replaceAll("^.* ", ""));
            }
        }
        System.out.println("LOADED");
    }
}
