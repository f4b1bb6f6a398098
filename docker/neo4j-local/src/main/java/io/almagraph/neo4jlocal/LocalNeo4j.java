package io.almagraph.neo4jlocal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * A real Neo4j Community server (embedded DBMS with its Bolt connector on),
 * for tests and local use without Docker.
 *
 * <pre>
 *   NEO4J_PASSWORD=secret123 java -Xmx512m -jar target/local-neo4j.jar DATA_DIR PORT [--ignore-stdin]
 * </pre>
 *
 * Bolt listens on 127.0.0.1:PORT without TLS, authentication is on, and the
 * password of the {@code neo4j} user is set from NEO4J_PASSWORD (at least 8
 * characters) with no forced change.  Once Bolt accepts connections it prints
 * exactly one line {@code READY bolt://127.0.0.1:PORT} to stdout, then runs
 * until SIGTERM/SIGINT or until its standard input is closed (so it dies with
 * the process that started it; pass --ignore-stdin to run it detached).
 * Neo4j's own logs go to DATA_DIR/logs/.
 */
public final class LocalNeo4j {
    private static final Object LOCK = new Object();
    private static DatabaseManagementService dbms;

    private LocalNeo4j() {}

    public static void main(String[] args) {
        try {
            System.exit(run(args));
        } catch (Throwable t) {
            System.err.println("LocalNeo4j: failed: " + t);
            t.printStackTrace(System.err);
            System.exit(1);
        }
    }

    private static int run(String[] args) throws Exception {
        boolean ignoreStdin = false;
        String dataDir = null;
        String portArg = null;
        for (String a : args) {
            if (a.equals("--ignore-stdin")) {
                ignoreStdin = true;
            } else if (dataDir == null) {
                dataDir = a;
            } else if (portArg == null) {
                portArg = a;
            } else {
                return usage("unexpected argument: " + a);
            }
        }
        if (dataDir == null || portArg == null) {
            return usage("DATA_DIR and PORT are required");
        }
        int port;
        try {
            port = Integer.parseInt(portArg);
        } catch (NumberFormatException e) {
            return usage("PORT must be an integer: " + portArg);
        }
        if (port < 1 || port > 65535) {
            return usage("PORT out of range: " + port);
        }
        String password = System.getenv("NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            System.err.println("LocalNeo4j: environment variable NEO4J_PASSWORD must be set"
                    + " to a password of at least 8 characters");
            return 2;
        }

        Path home = Path.of(dataDir).toAbsolutePath();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(LocalNeo4j::shutdown, "local-neo4j-shutdown"));

        DatabaseManagementService service = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                // A local test server: don't lock the user out after a few wrong
                // passwords (tests check that a wrong password is refused).
                .setConfig(GraphDatabaseSettings.auth_max_failed_attempts, 0)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(128))
                .setConfig(GraphDatabaseSettings.tx_state_memory_allocation,
                        GraphDatabaseSettings.TransactionStateMemoryAllocation.ON_HEAP)
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Bolt waits 5 s per connector for idle connections on shutdown by
                // default (10 s in all); a test server should stop promptly.
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofMillis(500))
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                .build();
        synchronized (LOCK) {
            dbms = service;
        }

        setPassword(service, password);

        System.out.println("READY bolt://127.0.0.1:" + port);
        System.out.flush();

        if (!ignoreStdin) {
            Thread watcher = new Thread(() -> {
                InputStream in = System.in;
                byte[] buf = new byte[256];
                try {
                    while (in.read(buf) >= 0) {
                        // discard whatever is written; only EOF matters
                    }
                } catch (IOException ignored) {
                    // treat a broken stdin like a closed one
                }
                stop.countDown();
            }, "local-neo4j-stdin-watch");
            watcher.setDaemon(true);
            watcher.start();
        }
        stop.await(); // SIGTERM/SIGINT end the JVM through the shutdown hook instead
        System.err.println("LocalNeo4j: stdin closed, shutting down");
        shutdown();
        return 0;
    }

    private static void setPassword(DatabaseManagementService service, String password) {
        var system = service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $p CHANGE NOT REQUIRED", Map.of("p", password));
        } catch (RuntimeException e) {
            // Restarting on an existing data dir with the same password: Neo4j refuses
            // to "change" a password to itself; just make sure no change is required.
            String msg = String.valueOf(e.getMessage()) + " " + String.valueOf(e.getCause());
            if (!msg.contains("cannot be the same")) {
                throw e;
            }
            system.executeTransactionally("ALTER USER neo4j SET PASSWORD CHANGE NOT REQUIRED");
        }
    }

    private static void shutdown() {
        synchronized (LOCK) {
            if (dbms != null) {
                DatabaseManagementService service = dbms;
                dbms = null;
                try {
                    service.shutdown();
                } catch (RuntimeException e) {
                    System.err.println("LocalNeo4j: error during shutdown: " + e);
                }
            }
        }
    }

    private static int usage(String problem) {
        System.err.println("LocalNeo4j: " + problem);
        System.err.println("usage: NEO4J_PASSWORD=... java -jar local-neo4j.jar DATA_DIR PORT [--ignore-stdin]");
        return 2;
    }
}
