// TestRunner.cs - a minimal test runner (no NUnit): named tests, assertions,
// a summary line "N passed, N failed" and a non-zero exit code on failure.
using System;
using System.Collections.Generic;
using System.Diagnostics;

namespace Lightyear.Conn.Tests
{
    sealed class AssertionException : Exception
    {
        public AssertionException(string message) : base(message) { }
    }

    /// <summary>Thrown by a test that cannot run here (a missing optional dependency): reported as SKIP, neither passed nor failed.</summary>
    sealed class SkipException : Exception
    {
        public SkipException(string message) : base(message) { }
    }

    static class Assert
    {
        public static void True(bool condition, string what)
        {
            if (!condition)
                throw new AssertionException(what);
        }

        public static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                throw new AssertionException(what + ": expected " + Show(expected) + ", got " + Show(actual));
        }

        public static void Bytes(byte[] expected, int expectedOffset, byte[] actual, int actualOffset, int count, string what)
        {
            for (int i = 0; i < count; i++)
                if (expected[expectedOffset + i] != actual[actualOffset + i])
                    throw new AssertionException(what + ": byte " + i + " differs (" + expected[expectedOffset + i] + " vs " + actual[actualOffset + i] + ")");
        }

        /// <summary>Runs action and returns the exception, which must be exactly of type E.</summary>
        public static E Throws<E>(Action action, string what) where E : Exception
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                if (e.GetType() == typeof(E))
                    return (E)e;
                throw new AssertionException(what + ": expected " + typeof(E).Name + ", got " + e.GetType().Name + ": " + e.Message);
            }
            throw new AssertionException(what + ": expected " + typeof(E).Name + ", nothing was thrown");
        }

        /// <summary>Runs action, which must throw LightyearException with code; returns it.</summary>
        public static LightyearException Code(ErrorCode code, Action action, string what)
        {
            var e = Throws<LightyearException>(action, what);
            if (e.Code != code)
                throw new AssertionException(what + ": expected code " + code + ", got " + e.Code + ": " + e.Message);
            return e;
        }

        static string Show<T>(T v)
        {
            return v == null ? "null" : v.ToString();
        }
    }

    static class Runner
    {
        public static int Run(IList<KeyValuePair<string, Action>> tests, string[] filters)
        {
            int passed = 0, failed = 0, skipped = 0;
            foreach (var t in tests)
            {
                if (filters.Length > 0 && Array.FindIndex(filters, f => t.Key.Contains(f)) < 0)
                    continue;
                var sw = Stopwatch.StartNew();
                try
                {
                    t.Value();
                    passed++;
                    Console.WriteLine("PASS {0} ({1} ms)", t.Key, sw.ElapsedMilliseconds);
                }
                catch (SkipException e)
                {
                    skipped++;
                    Console.WriteLine("SKIP {0}: {1}", t.Key, e.Message);
                }
                catch (Exception e)
                {
                    failed++;
                    Console.WriteLine("FAIL {0} ({1} ms): {2}", t.Key, sw.ElapsedMilliseconds,
                                      e is AssertionException ? e.Message : e.ToString());
                }
                Console.Out.Flush();
            }
            Console.WriteLine("{0} passed, {1} failed", passed, failed);
            return failed == 0 && passed + skipped > 0 ? 0 : 1;
        }
    }
}
