global using FsCheck;
global using FsCheck.Fluent;
global using LanguageExt;
global using PandaProbe.Model;
global using Xunit;
global using static LanguageExt.Prelude;
global using Unit = LanguageExt.Unit;
