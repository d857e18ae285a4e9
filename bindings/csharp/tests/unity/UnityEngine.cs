// UnityEngine.cs - a stub of the few UnityEngine types the package uses
// (Runtime/UnityLifecycle.cs and the Samples~ MonoBehaviours), so the tests
// can compile them as Unity would, without Unity. Not shipped.
using System;

namespace UnityEngine
{
    public class Object { }
    public class Component : Object { }
    public class Behaviour : Component { }
    public class MonoBehaviour : Behaviour { }

    public static class Debug
    {
        public static void Log(object message) { Console.WriteLine(message); }
        public static void LogWarning(object message) { Console.WriteLine(message); }
        public static void LogError(object message) { Console.WriteLine(message); }
    }

    public static class Time
    {
        public static float deltaTime = 1f / 60f;
        public static float time;
        public static float realtimeSinceStartup;
    }

    public static class Application
    {
        public static event Action quitting;

        // Stub only: what Unity does when a player quits or the Editor exits Play mode.
        public static void RaiseQuittingForTests()
        {
            var q = quitting;
            if (q != null)
                q();
        }
    }

    public enum RuntimeInitializeLoadType
    {
        AfterSceneLoad = 0,
        BeforeSceneLoad = 1,
        AfterAssembliesLoaded = 2,
        BeforeSplashScreen = 3,
        SubsystemRegistration = 4,
    }

    [AttributeUsage(AttributeTargets.Method)]
    public sealed class RuntimeInitializeOnLoadMethodAttribute : Attribute
    {
        public RuntimeInitializeOnLoadMethodAttribute() { }
        public RuntimeInitializeOnLoadMethodAttribute(RuntimeInitializeLoadType loadType) { LoadType = loadType; }
        public RuntimeInitializeLoadType LoadType { get; private set; }
    }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class SerializeField : Attribute { }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class TooltipAttribute : Attribute
    {
        public TooltipAttribute(string tooltip) { }
    }
}
