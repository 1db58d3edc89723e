ALTER TABLE `users` ADD `next_wake_at` integer;--> statement-breakpoint
CREATE INDEX `users_next_wake_idx` ON `users` (`next_wake_at`,`id`);--> statement-breakpoint
-- Users whose timer may have work get one visit from the next cron run, which re-arms them and writes their real wake time.
UPDATE `users` SET `next_wake_at` = 0 WHERE `status_until` IS NOT NULL OR `id` IN (SELECT `user_id` FROM `status_schedules` WHERE `active` = 1);
