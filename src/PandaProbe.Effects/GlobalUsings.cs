global using LanguageExt;
global using static LanguageExt.Prelude;
global using PandaProbe.Model;
global using Unit = LanguageExt.Unit;
