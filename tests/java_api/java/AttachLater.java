import io.leakbridge.LeakBridge;
import io.leakbridge.LiveOptions;
import io.leakbridge.Mark;
import io.leakbridge.Site;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java API when the agent is attached to a running JVM: LeakBridge is initialized without
 * the agent (inactive), then the program waits for the file named by args[0]; the test attaches
 * the agent with jcmd meanwhile. Prints key=value lines before and after.
 */
public class AttachLater {
    static final List<ByteBuffer> KEPT = new ArrayList<>();

    static void keep(int n) {
        for (int i = 0; i < n; i++)
            KEPT.add(ByteBuffer.allocateDirect(32 * 1024));
    }

    public static void main(String[] args) throws Exception {
        System.out.println("before=" + LeakBridge.isActive());
        System.out.println("waiting");
        System.out.flush();
        Path go = Paths.get(args[0]);
        for (int i = 0; i < 600 && !Files.exists(go); i++)
            Thread.sleep(100);
        System.out.println("after=" + LeakBridge.isActive());
        Mark mark = LeakBridge.mark();
        keep(4);
        List<Site> live = LeakBridge.liveSince(mark, LiveOptions.defaults().gc(true));
        System.out.println("live.bytes=" + LeakBridge.totalBytes(live));
        System.out.println("dump=" + LeakBridge.dump(Paths.get(args[1])));
    }
}
