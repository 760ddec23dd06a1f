/** Opens N liblzma encoders through libleakxz.so and never ends them. Args: count. */
public class XzLeak {
    static native int openEncoders(int n);

    static int openLeakyEncoders(int n) {
        return openEncoders(n);
    }

    public static void main(String[] args) {
        System.loadLibrary("leakxz");
        System.out.println("opened " + openLeakyEncoders(Integer.parseInt(args[0])));
    }
}
