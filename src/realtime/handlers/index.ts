/** Importing this module registers every application socket event. */
import "./presence";
import "./status";
import "./messaging";
import "./typing";
import "./conversations";
