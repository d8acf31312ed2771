global using PandaProbe.Model;
global using PandaProbe.Exporters;
global using PandaProbe.Pipeline;
global using Unit = LanguageExt.Unit;
