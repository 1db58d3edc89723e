CREATE TABLE `upload_refs` (
	`upload_id` text NOT NULL,
	`conversation_id` text NOT NULL,
	`message_id` text NOT NULL,
	PRIMARY KEY(`upload_id`, `message_id`),
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `upload_refs_message_idx` ON `upload_refs` (`message_id`);--> statement-breakpoint
DROP TABLE `message_receipts`;--> statement-breakpoint
DROP TABLE `messages`;--> statement-breakpoint
DROP INDEX `conversations_last_message_idx`;--> statement-breakpoint
ALTER TABLE `conversations` DROP COLUMN `last_seq`;--> statement-breakpoint
ALTER TABLE `conversations` DROP COLUMN `last_message_id`;--> statement-breakpoint
ALTER TABLE `conversations` DROP COLUMN `last_message_at`;--> statement-breakpoint
ALTER TABLE `conversation_members` DROP COLUMN `read_seq`;--> statement-breakpoint
ALTER TABLE `conversation_members` DROP COLUMN `read_at`;--> statement-breakpoint
ALTER TABLE `conversation_members` DROP COLUMN `unread_count`;