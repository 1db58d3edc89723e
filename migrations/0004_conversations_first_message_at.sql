ALTER TABLE `conversations` ADD `first_message_at` integer;--> statement-breakpoint
-- Hand-added backfill: messages live in the rooms now, out of D1's reach, so conversations created
-- before this migration keep relating their members for presence as they did before (creation time
-- stands in for the first message). New conversations get the column when their first message lands.
UPDATE `conversations` SET `first_message_at` = `created_at` WHERE `first_message_at` IS NULL;
