using System.Runtime.CompilerServices;

// The test runner and the benchmark (bindings/csharp/tests, bench) check the
// native layer's layouts and time raw P/Invoke calls; harmless in Unity.
[assembly: InternalsVisibleTo("Lightyear.Conn.Tests")]
[assembly: InternalsVisibleTo("Lightyear.Conn.Bench")]
