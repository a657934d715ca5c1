-- The read models live in a database of their own (the `read` alias).
CREATE DATABASE socialapp_read OWNER socialapp;
